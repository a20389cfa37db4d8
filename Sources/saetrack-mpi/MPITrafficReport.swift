import Foundation
import SAETrackMPI

/// `mpi_traffic.json`: what each rank sent during training (final gather excluded), against the
/// design's prediction for the ring all-reduce of the (B, d) partial reconstructions.
struct MPITrafficReport: Codable {
    struct Rank: Codable {
        var rank: Int
        /// Bytes sent by kind (``MPITrafficKind`` raw values).
        var bytes: [String: Int]
        var messages: Int
        /// Wall-clock and CPU seconds of the training loop on this rank.
        var seconds: Double
        var cpuSeconds: Double
        /// Of `seconds`, the time inside MPI calls (transfers and waiting for the other ranks).
        var mpiSeconds: Double

        enum CodingKeys: String, CodingKey {
            case rank, bytes, messages, seconds, cpuSeconds = "cpu_seconds", mpiSeconds = "mpi_seconds"
        }
    }

    var ranks: Int
    var steps: Int
    var batchSize: Int
    var dIn: Int
    var dSAE: Int
    /// TopK's and BatchTopK's k (0 for the other architectures).
    var k: Int
    var perRank: [Rank]

    enum CodingKeys: String, CodingKey {
        case ranks, steps, batchSize = "batch_size", dIn = "d_in", dSAE = "d_sae", k, perRank = "per_rank"
        case predictedReconstructionBytesPerStep = "predicted_reconstruction_bytes_per_step"
        case dataParallelBytesPerStep = "data_parallel_bytes_per_step"
    }

    /// Ring all-reduce of B·d floats: 2·(n−1)/n·B·d·4 bytes per rank and step.
    var predictedReconstructionBytesPerStep: Double { 2 * Double(ranks - 1) / Double(ranks) * Double(batchSize * dIn) * 4 }
    /// A data-parallel ring all-reduce of the full gradient (2·d·m + d + m floats) would send this per rank and step.
    var dataParallelBytesPerStep: Double {
        2 * Double(ranks - 1) / Double(ranks) * Double(2 * dIn * dSAE + dIn + dSAE) * 4
    }

    init(ranks: Int, steps: Int, batchSize: Int, dIn: Int, dSAE: Int, k: Int, perRank: [Rank]) {
        (self.ranks, self.steps, self.batchSize, self.dIn, self.dSAE, self.k, self.perRank) = (ranks, steps, batchSize, dIn, dSAE, k, perRank)
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ranks, forKey: .ranks); try c.encode(steps, forKey: .steps); try c.encode(batchSize, forKey: .batchSize)
        try c.encode(dIn, forKey: .dIn); try c.encode(dSAE, forKey: .dSAE); try c.encode(k, forKey: .k)
        try c.encode(perRank, forKey: .perRank)
        try c.encode(predictedReconstructionBytesPerStep, forKey: .predictedReconstructionBytesPerStep)
        try c.encode(dataParallelBytesPerStep, forKey: .dataParallelBytesPerStep)
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(ranks: try c.decode(Int.self, forKey: .ranks), steps: try c.decode(Int.self, forKey: .steps),
                  batchSize: try c.decode(Int.self, forKey: .batchSize), dIn: try c.decode(Int.self, forKey: .dIn),
                  dSAE: try c.decode(Int.self, forKey: .dSAE), k: try c.decode(Int.self, forKey: .k),
                  perRank: try c.decode([Rank].self, forKey: .perRank))
    }

    /// One line per rank: bytes per step by kind, against the prediction and data parallelism.
    var summary: String {
        let steps = Double(max(self.steps, 1))
        var lines = [String(format: "traffic per step and rank (B %d, d_in %d, d_sae %d, %d ranks): predicted reconstruction %.0f B, data-parallel %.0f B",
                            batchSize, dIn, dSAE, ranks, predictedReconstructionBytesPerStep, dataParallelBytesPerStep)]
        for r in perRank {
            let total = Double(r.bytes.values.reduce(0, +)) / steps
            let parts = r.bytes.keys.sorted().map { String(format: "%@ %.0f", $0, Double(r.bytes[$0]!) / steps) }.joined(separator: ", ")
            lines.append(String(format: "  rank %d: %.0f B/step (%@); %.2f s (%.2f s in MPI calls), %.2f CPU-s", r.rank, total,
                                parts, r.seconds, r.mpiSeconds, r.cpuSeconds))
        }
        return lines.joined(separator: "\n")
    }
}
