import CMPI
import Foundation

/// The processes of one `mpirun` job (MPI_COMM_WORLD), with the few collectives SAETrack needs.
///
/// Every collective here is built from point-to-point `MPI_Sendrecv` / `MPI_Send` / `MPI_Recv` in a
/// fixed pattern, so what each rank computes — and the order in which `allreduceSum(_:kind:)`
/// adds the ranks' contributions — depends only on the rank count, never on MPI's choice of
/// algorithm, message timing or network: a rerun with the same rank count (and the same threads
/// per rank) is bit-identical, and every rank ends with the same bytes. The bytes each rank sends
/// are counted in ``traffic``.
///
/// MPI is initialised with `MPI_THREAD_FUNNELED`: only the thread that called ``initialize()``
/// makes MPI calls (BLAS and `Parallel` threads never do). One instance per process.
public final class MPICommunicator {
    /// This process's rank, 0 ..< ``size``.
    public let rank: Int
    /// Processes in the job.
    public let size: Int
    /// Bytes this rank sent so far (reset with ``resetTraffic()``).
    public private(set) var traffic = MPITraffic()
    private let comm: MPI_Comm?
    private var finalized = false

    private static let tag: Int32 = 19

    /// Initialises MPI (once per process) and returns the world communicator.
    public static func initialize() throws -> MPICommunicator {
        var provided: Int32 = 0
        try MPIError.check(MPI_Init_thread(nil, nil, saetrack_mpi_thread_funneled(), &provided), "MPI_Init_thread")
        let comm = saetrack_mpi_comm_world()
        var rank: Int32 = 0, size: Int32 = 0
        try MPIError.check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank")
        try MPIError.check(MPI_Comm_size(comm, &size), "MPI_Comm_size")
        return MPICommunicator(comm: comm, rank: Int(rank), size: Int(size))
    }

    private init(comm: MPI_Comm?, rank: Int, size: Int) {
        self.comm = comm
        self.rank = rank
        self.size = size
    }

    /// Whether this is rank 0 (the one that writes files).
    public var isRoot: Bool { rank == 0 }

    /// Starts counting ``traffic`` from zero.
    public func resetTraffic() { traffic = MPITraffic() }

    /// Waits until every rank has called it.
    public func barrier() throws {
        try MPIError.check(MPI_Barrier(comm), "MPI_Barrier")
    }

    /// Ends MPI for this process (call once, after the last collective, on every rank).
    public func finalize() throws {
        guard !finalized else { return }
        finalized = true
        try MPIError.check(MPI_Finalize(), "MPI_Finalize")
    }

    /// Ends the whole job: `mpirun` terminates every rank and exits with `code`. For an error on one
    /// rank, which would otherwise leave the others waiting in a collective.
    public func abort(code: Int32) -> Never {
        _ = MPI_Abort(comm, code)
        exit(code)
    }

    // MARK: - Point to point

    private func sendReceive(_ send: UnsafeRawPointer?, _ sendBytes: Int, to destination: Int,
                             _ receive: UnsafeMutableRawPointer?, _ receiveBytes: Int, from source: Int,
                             kind: MPITrafficKind) throws {
        precondition(sendBytes < Int(Int32.max) && receiveBytes < Int(Int32.max), "MPICommunicator: message over 2 GB")
        let started = DispatchTime.now().uptimeNanoseconds
        defer { traffic.seconds += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        try MPIError.check(MPI_Sendrecv(send, Int32(sendBytes), saetrack_mpi_byte(), Int32(destination), Self.tag,
                                        receive, Int32(receiveBytes), saetrack_mpi_byte(), Int32(source), Self.tag,
                                        comm, saetrack_mpi_status_ignore()), "MPI_Sendrecv")
        traffic.add(kind, sendBytes)
    }

    // MARK: - Collectives

    /// Element-wise sum over all ranks, in place, identical on every rank afterwards.
    ///
    /// A ring: the buffer is cut into `size` contiguous chunks (⌊c·N/n⌋ bounds); a reduce-scatter
    /// (n − 1 rounds, each rank adding the chunk its left neighbour sends) leaves rank r with the
    /// full sum of chunk r + 1, then an all-gather (n − 1 rounds) copies every summed chunk to every
    /// rank. Chunk c is summed as a_{c+n−1} + (… + (a_{c+1} + a_c)): a fixed order for a given rank
    /// count. Each rank sends 2·(n − 1)/n·N elements.
    public func allreduceSum<T: BinaryFloatingPoint>(_ buffer: UnsafeMutableBufferPointer<T>, kind: MPITrafficKind) throws {
        let n = size, count = buffer.count
        guard n > 1, count > 0 else { return }
        let stride = MemoryLayout<T>.stride
        let bound = { (c: Int) -> Int in c * count / n }
        let maxChunk = (0..<n).map { bound($0 + 1) - bound($0) }.max() ?? 0
        var incoming = [T](repeating: 0, count: max(maxChunk, 1))
        let base = buffer.baseAddress!
        let (right, left) = ((rank + 1) % n, (rank - 1 + n) % n)
        try incoming.withUnsafeMutableBufferPointer { inc in
            for s in 0..<(n - 1) {                                   // reduce-scatter
                let sc = (rank - s + n) % n, rc = (rank - s - 1 + 2 * n) % n
                let (s0, s1, r0, r1) = (bound(sc), bound(sc + 1), bound(rc), bound(rc + 1))
                try sendReceive(base + s0, (s1 - s0) * stride, to: right, inc.baseAddress!, (r1 - r0) * stride, from: left,
                                kind: kind)
                for t in 0..<(r1 - r0) { base[r0 + t] += inc[t] }
            }
        }
        for s in 0..<(n - 1) {                                       // all-gather
            let sc = (rank + 1 - s + n) % n, rc = (rank - s + n) % n
            let (s0, s1, r0, r1) = (bound(sc), bound(sc + 1), bound(rc), bound(rc + 1))
            try sendReceive(base + s0, (s1 - s0) * stride, to: right, base + r0, (r1 - r0) * stride, from: left, kind: kind)
        }
    }

    /// `allreduceSum(_:kind:)` over an array.
    public func allreduceSum<T: BinaryFloatingPoint>(_ values: inout [T], kind: MPITrafficKind) throws {
        try values.withUnsafeMutableBufferPointer { try allreduceSum($0, kind: kind) }
    }

    /// Every rank's `block` (the same byte count on every rank), concatenated in rank order, on every
    /// rank. A ring of n − 1 rounds; each rank sends (n − 1)·`block.count` bytes. Pure data movement.
    public func allgather(_ block: UnsafeRawBufferPointer, kind: MPITrafficKind) throws -> [UInt8] {
        let n = size, bytes = block.count
        var out = [UInt8](repeating: 0, count: n * bytes)
        try out.withUnsafeMutableBytes { o in
            let base = o.baseAddress!
            if bytes > 0 { (base + rank * bytes).copyMemory(from: block.baseAddress!, byteCount: bytes) }
            guard n > 1 else { return }
            let (right, left) = ((rank + 1) % n, (rank - 1 + n) % n)
            for s in 0..<(n - 1) {
                let sb = (rank - s + n) % n, rb = (rank - s - 1 + 2 * n) % n
                try sendReceive(base + sb * bytes, bytes, to: right, base + rb * bytes, bytes, from: left, kind: kind)
            }
        }
        return out
    }

    /// Rank 0 receives every rank's `local` (rank r sends `counts[r]` elements) and returns them
    /// concatenated in rank order; the other ranks send theirs and return nil.
    public func gatherToRoot<T: BinaryFloatingPoint>(_ local: [T], counts: [Int], kind: MPITrafficKind) throws -> [T]? {
        precondition(counts.count == size && counts[rank] == local.count, "MPICommunicator.gatherToRoot: counts do not match")
        let stride = MemoryLayout<T>.stride
        if rank != 0 {
            try local.withUnsafeBytes { b in
                try MPIError.check(MPI_Send(b.baseAddress, Int32(b.count), saetrack_mpi_byte(), 0, Self.tag, comm), "MPI_Send")
            }
            traffic.add(kind, local.count * stride)
            return nil
        }
        var out = [T](repeating: 0, count: counts.reduce(0, +))
        try out.withUnsafeMutableBytes { o in
            var offset = 0
            local.withUnsafeBytes { b in if !b.isEmpty { o.baseAddress!.copyMemory(from: b.baseAddress!, byteCount: b.count) } }
            offset += counts[0] * stride
            for r in 1..<size {
                try MPIError.check(MPI_Recv(o.baseAddress! + offset, Int32(counts[r] * stride), saetrack_mpi_byte(), Int32(r),
                                            Self.tag, comm, saetrack_mpi_status_ignore()), "MPI_Recv")
                offset += counts[r] * stride
            }
        }
        return out
    }

    /// The same value on every rank: the minimum and maximum of `value` over the ranks (checks that
    /// settings which must agree, such as the thread count, do).
    public func range(of value: Int, kind: MPITrafficKind = .scalars) throws -> ClosedRange<Int> {
        var v = [Double](repeating: 0, count: 2 * size)
        v[2 * rank] = Double(value); v[2 * rank + 1] = -Double(value)
        try allreduceSum(&v, kind: kind)
        let values = (0..<size).map { Int(v[2 * $0]) }
        return values.min()!...values.max()!
    }
}
