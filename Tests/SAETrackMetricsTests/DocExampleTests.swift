import Foundation
import Testing
import SAETrackCore
import SAETrackIO
@testable import SAETrackMetrics

/// The Docs/Metrics.md example, verbatim except for the module import.
func drift(from a: URL, to b: URL) throws -> DriftCheckpoint {
    let decA = try SAEDirectory.read(a).tensors["W_dec"]!      // (d_sae, d_in)
    let decB = try SAEDirectory.read(b).tensors["W_dec"]!
    var drift = Drift(final: decB)                             // pass finalAlive: to mask dead features
    drift.add(step: 0, decoder: decA)
    return drift.checkpoints[0]
}

@Test("Docs/Metrics.md example: drift between two SAE directories written to disk")
func docExampleDrift() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("saetrack-metrics-doc-\(getpid())")
    defer { try? FileManager.default.removeItem(at: root) }
    var rng = SeededRandom(seed: 8)
    var decB = Matrix(rows: 32, cols: 8)
    decB.withUnsafeMutableBufferPointer { rng.fillNormal($0) }
    var decA = decB
    for j in 0..<8 { decA[0, j] = -decB[0, j] }          // feature 0 flipped: cosine −1; others 1
    for (name, dec) in [("a", decA), ("b", decB)] {
        try SAEDirectory.write(wEnc: dec.transposed(), bEnc: [Float](repeating: 0, count: 32), wDec: dec,
                               bDec: [Float](repeating: 0, count: 8), config: SAEDirectoryConfig(dIn: 8, dSAE: 32),
                               to: root.appendingPathComponent(name))
    }
    let d = try drift(from: root.appendingPathComponent("a"), to: root.appendingPathComponent("b"))
    #expect(abs(d.medianToFinal! - 1) < 1e-6)
    #expect(d.histogramToFinal.counts[0] == 1 && d.histogramToFinal.counts[99] == 31)
    #expect(d.maskedFeatures == 0)
}
