/// SHA-256 (FIPS 180-4), streaming. Used to fingerprint checkpoint weights without depending on
/// CryptoKit (absent on Linux) or OpenSSL.
///
/// ```swift
/// var h = SHA256()
/// h.update(bytes)
/// let hex = h.finalize().hexDigest
/// ```
public struct SHA256: Sendable {
    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
    private var block = [UInt8](repeating: 0, count: 64)   // pending partial block
    private var blockCount = 0                              // bytes in `block`
    private var totalBytes: UInt64 = 0

    public init() {}

    /// A finished digest.
    public struct Digest: Equatable, Sendable, CustomStringConvertible {
        /// The 32 digest bytes.
        public let bytes: [UInt8]
        /// Lower-case hexadecimal, 64 characters.
        public var hexDigest: String {
            let hex = Array("0123456789abcdef".utf8)
            var out = [UInt8](); out.reserveCapacity(64)
            for b in bytes { out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 15)]) }
            return String(decoding: out, as: UTF8.self)
        }
        public var description: String { hexDigest }
    }

    /// The digest of `bytes` in one call.
    public static func hash<S: Sequence>(_ bytes: S) -> Digest where S.Element == UInt8 {
        var h = SHA256(); h.update(Array(bytes)); return h.finalize()
    }

    /// Feeds bytes.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Feeds raw bytes (no alignment required).
    public mutating func update(_ raw: UnsafeRawBufferPointer) {
        let n = raw.count
        guard n > 0, let base = raw.baseAddress else { return }
        totalBytes &+= UInt64(n)
        var i = 0
        // Fill a pending partial block first.
        if blockCount > 0 {
            let take = min(64 - blockCount, n)
            for j in 0..<take { block[blockCount + j] = base.load(fromByteOffset: j, as: UInt8.self) }
            blockCount += take; i = take
            if blockCount == 64 {
                block.withUnsafeBytes { compress(UnsafeRawPointer($0.baseAddress!)) }
                blockCount = 0
            }
        }
        // Whole blocks straight from the input.
        while n - i >= 64 {
            compress(base + i)
            i += 64
        }
        // Keep the tail.
        for j in i..<n { block[blockCount] = base.load(fromByteOffset: j, as: UInt8.self); blockCount += 1 }
    }

    /// Pads, processes the last block(s) and returns the digest. The hasher must not be reused.
    public mutating func finalize() -> Digest {
        let bitLength = totalBytes &* 8
        var tail: [UInt8] = [0x80]
        let padded = (blockCount + 1 + 8 + 63) / 64 * 64
        tail += [UInt8](repeating: 0, count: padded - blockCount - 1 - 8)
        for k in (0..<8).reversed() { tail.append(UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(k)))) }
        let savedTotal = totalBytes
        update(tail)
        totalBytes = savedTotal
        precondition(blockCount == 0, "SHA256: padding did not end on a block boundary")
        var out = [UInt8](); out.reserveCapacity(32)
        for w in [state.0, state.1, state.2, state.3, state.4, state.5, state.6, state.7] {
            out += [UInt8(w >> 24), UInt8(truncatingIfNeeded: w >> 16), UInt8(truncatingIfNeeded: w >> 8), UInt8(truncatingIfNeeded: w)]
        }
        return Digest(bytes: out)
    }

    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    @inline(__always) private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

    /// One 64-byte block (big-endian words) into the state.
    private mutating func compress(_ p: UnsafeRawPointer) {
        Self.k.withUnsafeBufferPointer { k in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                for t in 0..<16 { w[t] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 4 * t, as: UInt32.self)) }
                for t in 16..<64 {
                    let s0 = Self.rotr(w[t - 15], 7) ^ Self.rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
                    let s1 = Self.rotr(w[t - 2], 17) ^ Self.rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
                    w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
                }
                var (a, b, c, d, e, f, g, h) = state
                for t in 0..<64 {
                    let s1 = Self.rotr(e, 6) ^ Self.rotr(e, 11) ^ Self.rotr(e, 25)
                    let ch = (e & f) ^ (~e & g)
                    let t1 = h &+ s1 &+ ch &+ k[t] &+ w[t]
                    let s0 = Self.rotr(a, 2) ^ Self.rotr(a, 13) ^ Self.rotr(a, 22)
                    let maj = (a & b) ^ (a & c) ^ (b & c)
                    let t2 = s0 &+ maj
                    h = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
                }
                state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d,
                         state.4 &+ e, state.5 &+ f, state.6 &+ g, state.7 &+ h)
            }
        }
    }
}
