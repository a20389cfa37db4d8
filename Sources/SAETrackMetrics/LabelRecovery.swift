import SAETrackCore

/// How well one dictionary recovers a set of planted labels at one checkpoint: each label's best
/// latent, and a one-to-one latent ↔ label assignment scored as classifiers (Docs/Metrics.md,
/// "Planted-label recovery").
///
/// With `A[ℓ,i]` the AUROC of latent i's activations for label ℓ (``GroundTruth/aurocs(codes:labels:)``)
/// over the candidate latents K (live ones; a crosscoder's also present at the snapshot) and θ the
/// recovery threshold:
/// ```
/// best_ℓ      = max_{i∈K} A[ℓ,i]
/// π           = the one-to-one map labels → K maximising Σ_ℓ A[ℓ,π(ℓ)]        (Hungarian; undefined A = 0.5)
/// fires_j(t)  = f_j(x_t) > 0
/// precision_ℓ = |fires_π(ℓ) ∧ ℓ| / |fires_π(ℓ)|     recall_ℓ = |fires_π(ℓ) ∧ ℓ| / |ℓ|     F1_ℓ = 2PR / (P + R)
/// recovered   = #{ℓ : A[ℓ,π(ℓ)] ≥ θ}
/// detectors D = {i ∈ K : max_ℓ A[ℓ,i] ≥ θ}       uniqueness = |{argmax_ℓ A[ℓ,i] : i ∈ D}| / |D|
/// ```
/// Precision, recall, F1 and the mean best AUROC are means over the labels that have an AUROC
/// (at least one positive and one negative token); uniqueness is 1 when every detecting latent
/// detects a different label and falls as latents split a label between them (it is SynthSAEBench's
/// uniqueness, with labels in place of ground-truth directions).
public struct LabelRecovery: Codable, Equatable, Sendable {
    /// One planted label's part.
    public struct Label: Codable, Equatable, Sendable {
        public var name: String
        /// Labelled tokens.
        public var positives: Int
        /// The candidate with the highest AUROC (lowest id on ties), and that AUROC.
        public var bestLatent: Int?
        public var bestAUROC: Double?
        /// The latent the one-to-one assignment gives the label, and its AUROC.
        public var assignedLatent: Int?
        public var assignedAUROC: Double?
        /// The assigned latent's firing as a classifier of the label.
        public var precision: Double?
        public var recall: Double?
        public var f1: Double?

        enum CodingKeys: String, CodingKey {
            case name, positives, precision, recall, f1
            case bestLatent = "best_latent", bestAUROC = "best_auroc", assignedLatent = "assigned_latent", assignedAUROC = "assigned_auroc"
        }
    }

    public var labels: [Label]
    /// θ.
    public var threshold: Double
    /// |K|.
    public var candidates: Int
    /// Labels whose assigned latent reaches θ.
    public var recovered: Int
    /// |D|.
    public var detectors: Int
    public var meanBestAUROC: Double?
    public var precision: Double?
    public var recall: Double?
    public var f1: Double?
    public var uniqueness: Double?

    enum CodingKeys: String, CodingKey {
        case labels, threshold, candidates, recovered, detectors, precision, recall, f1, uniqueness
        case meanBestAUROC = "mean_best_auroc"
    }

    /// Scores `codes` (N, d_sae) against `labels` (N tokens each).
    /// - Parameters:
    ///   - candidates: which latents may be chosen (d_sae flags; nil: every latent that fires on the N tokens)
    ///   - aurocs: `[label][latent]` AUROCs when already computed for these codes and labels
    public init(codes: SparseRows, labels: [PlantedLabel], candidates: [Bool]? = nil, aurocs: [[Double?]]? = nil,
                threshold: Double = GroundTruth.defaultThreshold) {
        let width = codes.cols
        let allowed = candidates ?? FeatureFiring(codes).alive
        precondition(allowed.count == width, "LabelRecovery: \(allowed.count) candidate flags for \(width) latents")
        let table = aurocs ?? GroundTruth.aurocs(codes: codes, labels: labels)
        precondition(table.count == labels.count && table.allSatisfy { $0.count == width },
                     "LabelRecovery: AUROCs must be [\(labels.count)][\(width)]")
        let ids = (0..<width).filter { allowed[$0] }
        let scored = labels.indices.filter { labels[$0].mask.contains(true) && labels[$0].mask.contains(false) }   // labels with an AUROC
        // Maximise the total AUROC: minimise Σ (1 − A).
        var cost = [Float](repeating: 0.5, count: scored.count * ids.count)
        for (r, li) in scored.enumerated() {
            for (c, i) in ids.enumerated() { cost[r * ids.count + c] = Float(1 - (table[li][i] ?? 0.5)) }
        }
        let assignment = Hungarian.solve(cost: cost, rows: scored.count, cols: ids.count).columnOfRow

        // The assigned latents' firing: tokens where each fires, from the CSR rows.
        var assignedOf = [Int: [Int]]()                       // latent → label indices (one each)
        for (r, li) in scored.enumerated() { if let c = assignment[r] { assignedOf[ids[c], default: []].append(li) } }
        var fired = [Int](repeating: 0, count: labels.count), hits = [Int](repeating: 0, count: labels.count)
        for t in 0..<codes.rows {
            for p in codes.rowStart[t]..<codes.rowStart[t + 1] where codes.value[p] > 0 {
                guard let owners = assignedOf[Int(codes.index[p])] else { continue }
                for li in owners { fired[li] += 1; if labels[li].mask[t] { hits[li] += 1 } }
            }
        }

        var out: [Label] = []
        for (li, label) in labels.enumerated() {
            let positives = label.mask.filter { $0 }.count
            var best: (Int, Double)? = nil
            for i in ids { if let a = table[li][i], best == nil || a > best!.1 { best = (i, a) } }
            var entry = Label(name: label.name, positives: positives, bestLatent: best?.0, bestAUROC: best?.1)
            if let r = scored.firstIndex(of: li), let c = assignment[r] {
                let j = ids[c]
                entry.assignedLatent = j
                entry.assignedAUROC = table[li][j]
                let p = fired[li] > 0 ? Double(hits[li]) / Double(fired[li]) : 0
                let rc = positives > 0 ? Double(hits[li]) / Double(positives) : 0
                entry.precision = p; entry.recall = rc
                entry.f1 = p + rc > 0 ? 2 * p * rc / (p + rc) : 0
            }
            out.append(entry)
        }
        self.labels = out
        self.threshold = threshold
        self.candidates = ids.count
        recovered = out.filter { ($0.assignedAUROC ?? 0) >= threshold }.count
        // Detectors and the labels they detect.
        var detecting = 0
        var detected = Set<Int>()
        for i in ids {
            var top: (Int, Double)? = nil
            for li in labels.indices { if let a = table[li][i], top == nil || a > top!.1 { top = (li, a) } }
            if let top, top.1 >= threshold { detecting += 1; detected.insert(top.0) }
        }
        detectors = detecting
        uniqueness = detecting > 0 ? Double(detected.count) / Double(detecting) : nil
        func mean(_ values: [Double?]) -> Double? {
            let v = values.compactMap { $0 }
            return v.isEmpty ? nil : v.reduce(0, +) / Double(v.count)
        }
        meanBestAUROC = mean(out.map(\.bestAUROC))
        precision = mean(out.map(\.precision)); recall = mean(out.map(\.recall)); f1 = mean(out.map(\.f1))
    }
}
