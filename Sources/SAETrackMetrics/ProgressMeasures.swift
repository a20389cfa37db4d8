import SAETrackCore
import SAETrackSAE

/// The four progress measures of feature formation (Docs/Method.md §7.4).
public enum ProgressMeasure: String, Codable, CaseIterable, Sendable {
    /// S_cos of the raw hook activations a_t⁽ᶜ⁾ (no SAE involved).
    case activationCosine
    /// S_cos of the SAE[c] latent vectors z_t⁽ᶜ⁾.
    case featureCosine
    /// S_WJ of the SAE[c] latent vectors (the README's main measure).
    case weightedJaccard
    /// S_J of the SAE[c] latent vectors' supports.
    case binaryJaccard

    /// The space and similarity the measure uses.
    public var similarity: SimilarityKind {
        switch self {
        case .activationCosine, .featureCosine: return .cosine
        case .weightedJaccard: return .weightedJaccard
        case .binaryJaccard: return .binaryJaccard
        }
    }
}

/// One value per progress measure (`nil` where it is undefined: fewer than two datapoints, no
/// SAE given for the feature-space measures, or non-finite representations).
public struct MeasureValues: Codable, Equatable, Sendable {
    public var activationCosine: Float?
    public var featureCosine: Float?
    public var weightedJaccard: Float?
    public var binaryJaccard: Float?

    public init(activationCosine: Float? = nil, featureCosine: Float? = nil,
                weightedJaccard: Float? = nil, binaryJaccard: Float? = nil) {
        self.activationCosine = activationCosine
        self.featureCosine = featureCosine
        self.weightedJaccard = weightedJaccard
        self.binaryJaccard = binaryJaccard
    }

    /// The value of one measure.
    public subscript(_ m: ProgressMeasure) -> Float? {
        get {
            switch m {
            case .activationCosine: return activationCosine
            case .featureCosine: return featureCosine
            case .weightedJaccard: return weightedJaccard
            case .binaryJaccard: return binaryJaccard
            }
        }
        set {
            switch m {
            case .activationCosine: activationCosine = newValue
            case .featureCosine: featureCosine = newValue
            case .weightedJaccard: weightedJaccard = newValue
            case .binaryJaccard: binaryJaccard = newValue
            }
        }
    }

    /// self − other, measure by measure (`nil` if either is `nil`).
    public func subtracting(_ other: MeasureValues) -> MeasureValues {
        var out = MeasureValues()
        for m in ProgressMeasure.allCases {
            if let a = self[m], let b = other[m] { out[m] = a - b }
        }
        return out
    }
}

/// The fixed datapoints of the formation analysis (Docs/Method.md §7.1, §7.3): for each live feature,
/// its top-k activating tokens under the **final** SAE on the **final** model, plus one seeded
/// random-token sample for the baseline.
///
/// `tokens` is the sorted union of all these flat token indices. At every checkpoint the caller
/// runs model@c on the contexts of these tokens and passes one representation row per entry of
/// `tokens` (``gather(from:)`` picks them from a full activation matrix).
public struct FormationDatapoints: Codable, Equatable, Sendable {
    /// Features analysed (fired at least once under the final SAE), increasing.
    public var features: [Int]
    /// Requested features that never fired under the final SAE: reported dead, no curve.
    public var dead: [Int]
    /// Per analysed feature: its datapoints, best first (see ``TopActivations`` for ties).
    public var datapoints: [[TokenActivation]]
    /// The random baseline tokens (flat indices).
    public var baseline: [Int]
    /// Sorted unique union of every datapoint and baseline token.
    public var tokens: [Int]

    /// Datapoints from a finished top-k selection under the final SAE.
    /// - Parameters:
    ///   - top: the selection over the evaluation tokens (final SAE, final model)
    ///   - features: features to analyse (default: all)
    ///   - baseline: random tokens, e.g. ``RandomTokenBaseline/sample(rows:context:count:seed:excludingPositionZero:)``
    public init(top: TopActivations, features requested: [Int]? = nil, baseline: [Int]) {
        var features: [Int] = [], dead: [Int] = [], points: [[TokenActivation]] = []
        for f in requested ?? Array(0..<top.features) {
            let t = top.top(f)
            if t.isEmpty { dead.append(f) } else { features.append(f); points.append(t) }
        }
        self.features = features
        self.dead = dead
        self.datapoints = points
        self.baseline = baseline
        self.tokens = Array(Set(points.flatMap { $0.map(\.token) } + baseline)).sorted()
    }

    /// The rows of `full` at `tokens`.
    /// - Parameter full: (N, d) representations of all evaluation tokens
    /// - Returns: (tokens.count, d)
    public func gather(from full: Matrix) -> Matrix {
        let d = full.cols
        var out = Matrix(rows: tokens.count, cols: d)
        full.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for (i, t) in tokens.enumerated() {
                    precondition(t < full.rows, "FormationDatapoints.gather: token \(t) beyond \(full.rows) rows")
                    for j in 0..<d { dst[i * d + j] = src[t * d + j] }
                }
            }
        }
        return out
    }

    /// Flat token index → its row in `tokens`.
    var rowLookup: [Int: Int] { Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, $0) }) }
}

/// The progress measures at one checkpoint.
public struct FormationCheckpoint: Codable, Equatable, Sendable {
    /// Training step.
    public var step: Int
    /// R(c): the similarity of the random baseline tokens.
    public var baseline: MeasureValues
    /// S_f(c) per analysed feature (same order as ``FormationDatapoints/features``).
    public var similarity: [MeasureValues]
    /// P_f(c) = S_f(c) − R(c) per analysed feature.
    public var progress: [MeasureValues]
}

/// Progress curves of a whole chain.
public struct FormationResult: Codable, Equatable, Sendable {
    /// Features analysed.
    public var features: [Int]
    /// Features reported dead (never fire under the final SAE).
    public var dead: [Int]
    /// One entry per checkpoint, in chain order.
    public var checkpoints: [FormationCheckpoint]

    public init(datapoints: FormationDatapoints, checkpoints: [FormationCheckpoint] = []) {
        features = datapoints.features
        dead = datapoints.dead
        self.checkpoints = checkpoints
    }

    /// Steps of the checkpoints.
    public var steps: [Int] { checkpoints.map(\.step) }

    /// P_f(c) over the checkpoints for the analysed feature `feature` (its SAE index).
    public func curve(feature: Int, _ measure: ProgressMeasure) -> [Float?]? {
        guard let i = features.firstIndex(of: feature) else { return nil }
        return checkpoints.map { $0.progress[i][measure] }
    }

    /// Phase boundaries (``Phases``) of every analysed feature's curve of one measure, in the
    /// order of ``features``.
    public func phases(_ measure: ProgressMeasure, rule: PhaseRule = PhaseRule()) -> [PhaseBoundaries] {
        features.indices.map { i in
            Phases.detect(checkpoints.map { $0.progress[i][measure] }, steps: steps, rule: rule)
        }
    }

    /// R(c) over the checkpoints.
    public func baselineCurve(_ measure: ProgressMeasure) -> [Float?] { checkpoints.map { $0.baseline[measure] } }
}

/// Feature formation progress measures (Docs/Method.md §7.4).
///
/// For a feature f with datapoints D_f = {t₁ … t₂₅} (fixed by the final SAE and model) at
/// checkpoint c, with S the mean off-diagonal similarity of ``Similarity``:
///
/// ```
/// a_t⁽ᶜ⁾ = hook activation of model@c at token t                    (d_in)
/// z_t⁽ᶜ⁾ = ReLU((a_t⁽ᶜ⁾ − b_dec⁽ᶜ⁾)·W_enc⁽ᶜ⁾ + b_enc⁽ᶜ⁾)              (d_sae), SAE[c] of the chain
/// P_act (f, c) = S_cos({a_t⁽ᶜ⁾}) − S_cos({a_r⁽ᶜ⁾ : r ∈ random})
/// P_feat(f, c) = S_cos({z_t⁽ᶜ⁾}) − S_cos({z_r⁽ᶜ⁾})
/// P_wJ  (f, c) = S_WJ ({z_t⁽ᶜ⁾}) − S_WJ ({z_r⁽ᶜ⁾})
/// P_J   (f, c) = S_J  ({z_t⁽ᶜ⁾}) − S_J  ({z_r⁽ᶜ⁾})
/// ```
///
/// The measures compare whole latent vectors; they never read feature f's own coordinate
/// (Docs/Method.md §7.4), so dead features at checkpoint c do not affect them — only features dead
/// under the final SAE (no datapoints) are excluded and reported in ``FormationResult/dead``.
public enum ProgressMeasures {
    /// All four measures (or only the activation one when `sae` is `nil`) at one checkpoint.
    /// - Parameters:
    ///   - step: the checkpoint's training step
    ///   - representations: (datapoints.tokens.count, d_in) hook activations of model@c, one row
    ///     per entry of ``FormationDatapoints/tokens``
    ///   - sae: SAE[c] of the chain, for the feature-space measures
    ///   - datapoints: the fixed datapoints
    public static func measure(step: Int, representations: Matrix, sae: SparseAutoencoder?,
                               datapoints: FormationDatapoints) -> FormationCheckpoint {
        measure(step: step, representations: representations,
                codes: sae.map { $0.encode(representations) }, datapoints: datapoints)
    }

    /// The same from codes already computed: `codes` holds SAE[c]'s codes of the rows of
    /// `representations` (one per entry of ``FormationDatapoints/tokens``), e.g. gathered from the
    /// codes of every evaluation token, so an analysis encodes each checkpoint once.
    public static func measure(step: Int, representations: Matrix, codes: SparseRows?,
                               datapoints: FormationDatapoints) -> FormationCheckpoint {
        precondition(representations.rows == datapoints.tokens.count,
                     "ProgressMeasures.measure: \(representations.rows) representation rows for \(datapoints.tokens.count) tokens (step \(step))")
        precondition(codes == nil || codes!.rows == datapoints.tokens.count,
                     "ProgressMeasures.measure: \(codes!.rows) code rows for \(datapoints.tokens.count) tokens (step \(step))")
        func values(_ rows: [Int]) -> MeasureValues {
            var v = MeasureValues()
            v.activationCosine = Similarity.meanOffDiagonal(representations.rows(at: rows), .cosine)
            if let codes {
                let z = codes.gathering(rows)
                v.featureCosine = Similarity.meanOffDiagonal(z, .cosine)
                v.weightedJaccard = Similarity.meanOffDiagonal(z, .weightedJaccard)
                v.binaryJaccard = Similarity.meanOffDiagonal(z, .binaryJaccard)
            }
            for m in ProgressMeasure.allCases where !(v[m]?.isFinite ?? true) { v[m] = nil }   // NaN input → undefined
            return v
        }
        // Serial over features: each one is a (25, d) sgemm plus 300 sparse pairs, and BLAS must
        // not run inside a Parallel region.
        let lookup = datapoints.rowLookup
        let baseline = values(datapoints.baseline.map { lookup[$0]! })
        let similarity = datapoints.datapoints.map { points in values(points.map { lookup[$0.token]! }) }
        return FormationCheckpoint(step: step, baseline: baseline, similarity: similarity,
                                   progress: similarity.map { $0.subtracting(baseline) })
    }
}
