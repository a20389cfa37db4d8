import Testing
import Foundation
import SAETrackCore
import SAETrackIO
@testable import SAETrackSAE

/// Locates and reads the committed fixtures of Tests/Fixtures/sae (written by generate.py there).
enum Fixtures {
    static let directory: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Fixtures/sae")
    }()

    static func file(_ name: String) throws -> SafetensorsFile {
        try SafetensorsFile(contentsOf: directory.appendingPathComponent(name))
    }

    /// The SAE stored under W_enc/b_enc/W_dec/b_dec (or a prefix of them) in a fixture.
    static func sae(_ f: SafetensorsFile, prefix: String = "") throws -> SparseAutoencoder {
        SparseAutoencoder(wEnc: try f.matrix(prefix + "W_enc"), bEnc: try f.floats(prefix + "b_enc"),
                          wDec: try f.matrix(prefix + "W_dec"), bDec: try f.floats(prefix + "b_dec"))
    }

    static func scalar(_ f: SafetensorsFile, _ key: String) -> Float {
        Float(f.metadata[key].flatMap(Double.init) ?? .nan)
    }

    static func deadFeatures(_ f: SafetensorsFile) throws -> [Int32] {
        try f.floats("dead").map { Int32($0) }
    }
}

/// The dense reference ReLU((x − b_dec)·W_enc + b_enc) (B, d_sae), written out with naive Double
/// loops (no BLAS, no sparse kernel) so the SAE's encode is checked against an independent path.
func denseReLUReference(_ sae: SparseAutoencoder, _ x: Matrix) -> Matrix {
    var f = Matrix(rows: x.rows, cols: sae.dSAE)
    for r in 0..<x.rows {
        for i in 0..<sae.dSAE {
            var s = Double(sae.bEnc[i])
            for j in 0..<sae.dIn { s += Double(x[r, j] - sae.bDec[j]) * Double(sae.wEnc[j, i]) }
            f[r, i] = Float(max(0, s))
        }
    }
    return f
}

/// ‖a − b‖∞ / ‖b‖∞ (0 when both are zero).
func maxRelativeError(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "maxRelativeError: \(a.count) vs \(b.count) elements")
    var diff: Float = 0, scale: Float = 0
    for (x, y) in zip(a, b) { diff = max(diff, abs(x - y)); scale = max(scale, abs(y)) }
    return scale == 0 ? diff : diff / scale
}

func relativeError(_ a: Float, _ b: Float) -> Float { abs(a - b) / max(abs(b), 1e-30) }

/// The fixture's `grad_*` tensors against `g` (float32 sums in another order than torch's: relative
/// `tolerance` of the largest entry).
func expectGradientsMatch(_ f: SafetensorsFile, _ g: SAEParameters, tolerance: Float = 1e-5) throws {
    #expect(maxRelativeError(g.wEncT.transposed().storage, try f.floats("grad_W_enc")) <= tolerance)
    #expect(maxRelativeError(g.bEnc, try f.floats("grad_b_enc")) <= tolerance)
    #expect(maxRelativeError(g.wDec.storage, try f.floats("grad_W_dec")) <= tolerance)
    #expect(maxRelativeError(g.bDec, try f.floats("grad_b_dec")) <= tolerance)
}

/// One Adam step (lr = the fixture's `lr`) from `p` with gradients `g` against the fixture's torch
/// step `after_*`.
func expectAdamStepMatches(_ f: SafetensorsFile, from p: SAEParameters, gradients g: SAEParameters) throws {
    var q = p
    var adam = Adam(dIn: p.dIn, dSAE: p.dSAE)
    adam.update(&q, gradients: g, lr: Fixtures.scalar(f, "lr"))
    #expect(maxRelativeError(q.wEncT.transposed().storage, try f.floats("after_W_enc")) <= 1e-5)
    #expect(maxRelativeError(q.bEnc, try f.floats("after_b_enc")) <= 1e-5)
    #expect(maxRelativeError(q.wDec.storage, try f.floats("after_W_dec")) <= 1e-5)
    #expect(maxRelativeError(q.bDec, try f.floats("after_b_dec")) <= 1e-5)
}

extension Fixtures {
    /// The config of a SAELens training-class fixture (d_in 12, d_sae 40, batch 16): SAELens's loss
    /// form, free decoder rows, no parallel-gradient removal, one step at the fixture's `lr`, and
    /// encoder chunks of 5 rows (several chunks per batch).
    static func saeLensTrainingConfig(_ f: SafetensorsFile, _ architecture: SAEArchitecture) -> SAETrainingConfig {
        var c = SAETrainingConfig(dIn: 12, dSAE: 40, steps: 1)
        c.architecture = architecture
        c.mseMode = .saeLens
        c.removeParallelGradient = false
        c.decoderNormMode = .free
        c.lr = scalar(f, "lr")
        c.warmupSteps = 1
        c.batchSize = 16
        c.encoderChunkRows = 5
        return c
    }
}

/// Random activations with a planted sparse dictionary: x = Σ_k c_k·u_k, with `active` of
/// `atoms` random unit directions per sample and coefficients in [1, 2).
func plantedDictionaryData(samples: Int, dIn: Int, atoms: Int, active: Int, seed: UInt64) -> (x: Matrix, dictionary: Matrix) {
    var rng = SeededRandom(seed: seed)
    var dict = Matrix(rows: atoms, cols: dIn)
    dict.withUnsafeMutableBufferPointer { rng.fillNormal($0) }
    for a in 0..<atoms {
        var n: Float = 0
        for j in 0..<dIn { n += dict[a, j] * dict[a, j] }
        for j in 0..<dIn { dict[a, j] /= n.squareRoot() }
    }
    var x = Matrix(rows: samples, cols: dIn)
    for s in 0..<samples {
        for _ in 0..<active {
            let a = rng.int(below: atoms)
            let c = rng.uniform(1, 2)
            for j in 0..<dIn { x[s, j] += c * dict[a, j] }
        }
    }
    return (x, dict)
}
