/// The three phases of feature formation (Docs/Method.md §7.6; names after the paper's recollected
/// "initialization / emergent / convergent").
public enum FormationPhase: String, Codable, Sendable {
    /// The measure still sits at its initial (baseline) level.
    case flat
    /// The measure is rising from the baseline towards its final level.
    case emergent
    /// The measure has reached its final level and stays there.
    case convergent
}

/// What the curve does as a whole.
public enum FormationOutcome: String, Codable, Sendable {
    /// Rises by at least `minimumRise`: has a flat, an emergent and a convergent phase.
    case formed
    /// Falls by at least `minimumRise` (a feature dissolving); phases are found on the mirrored curve.
    case dissolved
    /// Changes by less than `minimumRise` and its final level is ≥ `presentLevel`: present from
    /// the first checkpoint (token-level features), convergent throughout.
    case preformed
    /// Changes by less than `minimumRise` and stays below `presentLevel`: never forms, flat throughout.
    case unformed
    /// Fewer than two defined points.
    case undefined
}

/// The thresholds of ``Phases``.
public struct PhaseRule: Codable, Equatable, Sendable {
    /// Fraction of the total rise that marks leaving the baseline (onset).
    public var onsetFraction: Double = 0.1
    /// Fraction of the total rise that marks reaching the final level (settle).
    public var settleFraction: Double = 0.9
    /// Smallest |final − initial| that counts as a change.
    public var minimumRise: Double = 0.05
    /// Level above which an unchanging curve counts as present from the start.
    public var presentLevel: Double = 0.2
    /// Number of last defined points averaged for the final level.
    public var finalWindow: Int = 2

    public init(onsetFraction: Double = 0.1, settleFraction: Double = 0.9, minimumRise: Double = 0.05,
                presentLevel: Double = 0.2, finalWindow: Int = 2) {
        self.onsetFraction = onsetFraction
        self.settleFraction = settleFraction
        self.minimumRise = minimumRise
        self.presentLevel = presentLevel
        self.finalWindow = finalWindow
    }
}

/// Phase boundaries of one curve.
public struct PhaseBoundaries: Codable, Equatable, Sendable {
    public var outcome: FormationOutcome
    /// Index (into the curve) of the first emergent checkpoint (`nil` if none).
    public var onsetIndex: Int?
    /// Index of the first convergent checkpoint (`nil` if none).
    public var settleIndex: Int?
    /// Their steps.
    public var onsetStep: Int?
    public var settleStep: Int?
    /// Initial level (first defined value) and final level (mean of the last `finalWindow`).
    public var initial: Double?
    public var final: Double?
    /// Phase of every checkpoint (`nil` where the curve is undefined).
    public var phases: [FormationPhase?]
}

/// Automatic phase detection on a progress curve P(c) (baseline already subtracted), or any curve
/// that rises from a starting level to a plateau (e.g. a best-feature AUROC curve).
///
/// With v₀ the first defined value, v_F the mean of the last `finalWindow` defined values and the
/// normalised progress
///
/// ```
/// u(c) = (P(c) − v₀) / (v_F − v₀)
/// onset  = first c such that u(c') ≥ onsetFraction  (0.1) for every c' ≥ c   ("leaves the baseline")
/// settle = first c such that u(c') ≥ settleFraction (0.9) for every c' ≥ c   ("settles")
/// phase(c) = flat (c < onset), emergent (onset ≤ c < settle), convergent (c ≥ settle)
/// ```
///
/// "For every later checkpoint" makes both boundaries robust to a single noisy excursion before
/// the real rise. Curves whose total change |v_F − v₀| is below `minimumRise` have no emergent
/// phase: ``FormationOutcome/preformed`` (convergent throughout) if v_F ≥ `presentLevel`, else
/// ``FormationOutcome/unformed`` (flat throughout). A falling curve (v_F < v₀) is
/// ``FormationOutcome/dissolved``, with boundaries from the same u (which then measures the fall).
/// Undefined points (`nil`, e.g. a dead feature) are skipped and get no phase.
public enum Phases {
    /// Detects the phases of `curve` (one value per checkpoint, steps increasing).
    public static func detect(_ curve: [Float?], steps: [Int], rule: PhaseRule = PhaseRule()) -> PhaseBoundaries {
        precondition(curve.count == steps.count, "Phases: \(curve.count) values for \(steps.count) steps")
        let defined = curve.indices.filter { curve[$0] != nil }
        var result = PhaseBoundaries(outcome: .undefined, phases: [FormationPhase?](repeating: nil, count: curve.count))
        guard defined.count >= 2 else { return result }
        let value = { (i: Int) in Double(curve[i]!) }
        let v0 = value(defined[0])
        let tail = defined.suffix(max(1, min(rule.finalWindow, defined.count - 1)))
        let vF = tail.map(value).reduce(0, +) / Double(tail.count)
        result.initial = v0
        result.final = vF
        let rise = vF - v0
        if abs(rise) < rule.minimumRise {
            let present = vF >= rule.presentLevel
            result.outcome = present ? .preformed : .unformed
            for i in defined { result.phases[i] = present ? .convergent : .flat }
            if present { result.onsetIndex = defined[0]; result.settleIndex = defined[0] }
        } else {
            result.outcome = rise > 0 ? .formed : .dissolved
            let u = defined.map { (value($0) - v0) / rise }
            // Suffix minima: the boundaries are the first points from which u never drops below a level.
            var suffixMin = u
            for k in stride(from: u.count - 2, through: 0, by: -1) { suffixMin[k] = min(u[k], suffixMin[k + 1]) }
            let onsetK = (1..<u.count).first { suffixMin[$0] >= rule.onsetFraction }
            let settleK = onsetK.flatMap { o in (o..<u.count).first { suffixMin[$0] >= rule.settleFraction } }
            result.onsetIndex = onsetK.map { defined[$0] }
            result.settleIndex = settleK.map { defined[$0] }
            for (k, i) in defined.enumerated() {
                if let s = settleK, k >= s { result.phases[i] = .convergent }
                else if let o = onsetK, k >= o { result.phases[i] = .emergent }
                else { result.phases[i] = .flat }
            }
        }
        result.onsetStep = result.onsetIndex.map { steps[$0] }
        result.settleStep = result.settleIndex.map { steps[$0] }
        return result
    }

    /// Phases of a best-feature AUROC curve (ground truth), same rule.
    public static func detect(_ curve: [Double?], steps: [Int], rule: PhaseRule = PhaseRule()) -> PhaseBoundaries {
        detect(curve.map { $0.map(Float.init) }, steps: steps, rule: rule)
    }
}
