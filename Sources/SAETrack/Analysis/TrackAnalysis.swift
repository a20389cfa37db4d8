import Foundation
import SAETrackCore

/// Everything `saetrack analyze` measures on a finished track: the data of every figure and
/// table in the report, written as `analysis.json` (and one CSV per figure). Plain values only,
/// so Python can plot it too.
///
/// Steps are LM training steps; plots put them on a log10(step + 1) axis labelled in steps (0 included), as the paper plots step + 1.
public struct TrackAnalysis: Codable, Equatable {
    /// What was analysed.
    public var meta: Meta
    /// Per-checkpoint summary table: LM loss, SAE loss, L0, EV, dead fraction, CE recovered, drift.
    public var summary: [CheckpointSummary]
    /// Formation progress measures (Docs/Method.md §7.4), one curve per tracked feature per measure.
    public var progress: [ProgressMeasure]
    /// Raw random-token similarity R(c) per measure (Docs/Method.md §7.5, F8).
    public var randomBaseline: [RandomBaseline]
    /// Decoder drift (Docs/Method.md §8): quantiles of cos to final and to previous, and sampled features.
    public var drift: DriftSummary
    /// Histograms of per-latent decoder cosine SAE[c] vs SAE[final] (log count axis, F10).
    public var cosineHistograms: [CosineHistogram]
    /// 2-D PCA trajectories of decoder rows (F11).
    public var trajectories: [FeatureTrajectory]
    /// Warm-start (chain) vs from-scratch training curves at chosen checkpoints (F12, measured).
    public var convergence: [ConvergenceComparison]
    /// Ground truth on the synthetic corpus: best-feature AUROC per planted feature per checkpoint.
    public var groundTruth: [GroundTruthCurve]
    /// Top-activating contexts of selected features across checkpoints.
    public var featureCards: [FeatureCard]
    /// Checkpoint-integrity and analysis warnings, shown at the top of the report.
    public var warnings: [String]
    /// Births, deaths and dissolutions per checkpoint interval, and the live count per checkpoint
    /// (nil in analyses written before it existed).
    public var lifeHistory: LifeHistory? = nil
    /// Per-feature statistics of every feature at every checkpoint, when requested
    /// (`saetrack analyze --all-features`). Written as `features.csv` only: not part of `analysis.json`.
    public var allFeatures: AllFeatures? = nil
    /// Checkpoint steps whose chain stage was not finished when a partial analysis
    /// (`saetrack analyze --allow-partial`) was made; nil for a finished track. Written as
    /// `missing_stages` in `analysis.json`, and a partial analysis's CSVs carry a `partial` column.
    public var missingStages: [Int]? = nil
    /// Detected onsets and dissolutions of curriculum features against their schedule (nil: the
    /// series followed no curriculum; ``TrackAnalysis/CurriculumTiming``).
    public var curriculum: CurriculumTiming? = nil
    /// Pairwise dictionary MCC among the from-scratch SAEs of each baseline step with two or more
    /// seeds, the chain's MCC to them, and every chain interval against it (nil: no such step;
    /// ``TrackAnalysis/SeedNoiseFloor``).
    public var seedFloor: SeedNoiseFloor? = nil
    /// The chain against independent per-checkpoint SAEs and a crosscoder on the planted labels
    /// (nil: no such comparison in the track; ``TrackAnalysis/HeadToHead``).
    public var headToHead: HeadToHead? = nil

    /// Whether this analysis describes an unfinished track.
    public var isPartial: Bool { !(missingStages ?? []).isEmpty }

    enum CodingKeys: String, CodingKey {
        case meta, summary, progress, randomBaseline, drift, cosineHistograms, trajectories, convergence, groundTruth
        case featureCards, warnings, missingStages, lifeHistory, curriculum, seedFloor, headToHead
    }

    /// Statistics of every feature at every checkpoint (checkpoint-major arrays of d_sae values).
    public struct AllFeatures: Equatable {
        public var steps: [Int]
        /// Fraction of evaluation tokens where the feature fires.
        public var density: [[Double]]
        /// Largest activation on the evaluation tokens.
        public var maxActivation: [[Double]]
        /// Decoder cosine to the final SAE's row and to the previous checkpoint's (nil: dead in either).
        public var cosToFinal: [[Double?]]
        public var cosToPrevious: [[Double?]]
        public init(steps: [Int], density: [[Double]], maxActivation: [[Double]], cosToFinal: [[Double?]], cosToPrevious: [[Double?]]) {
            self.steps = steps; self.density = density; self.maxActivation = maxActivation
            self.cosToFinal = cosToFinal; self.cosToPrevious = cosToPrevious
        }
    }

    public init(meta: Meta, summary: [CheckpointSummary] = [], progress: [ProgressMeasure] = [],
                randomBaseline: [RandomBaseline] = [], drift: DriftSummary = DriftSummary(), cosineHistograms: [CosineHistogram] = [],
                trajectories: [FeatureTrajectory] = [], convergence: [ConvergenceComparison] = [],
                groundTruth: [GroundTruthCurve] = [], featureCards: [FeatureCard] = [], warnings: [String] = []) {
        self.meta = meta; self.summary = summary; self.progress = progress; self.randomBaseline = randomBaseline
        self.drift = drift; self.cosineHistograms = cosineHistograms; self.trajectories = trajectories
        self.convergence = convergence; self.groundTruth = groundTruth; self.featureCards = featureCards
        self.warnings = warnings
    }

    /// Provenance of the analysed track.
    public struct Meta: Codable, Equatable {
        public var title: String
        public var model: String
        public var hook: String
        public var centered: Bool
        public var dIn: Int
        public var dSAE: Int
        /// Checkpoint steps of the chain, in chain order.
        public var steps: [Int]
        public var order: String
        public var evaluationTokens: Int
        public var firstStageSteps: Int
        public var continualStageSteps: Int
        public var notes: [String]

        // Raw values are what snake_case conversion maps back from (`d_sae` → `dSae`).
        enum CodingKeys: String, CodingKey {
            case title, model, hook, centered, dIn, dSAE = "dSae", steps, order, evaluationTokens, firstStageSteps
            case continualStageSteps, notes
        }
        public init(title: String, model: String, hook: String, centered: Bool, dIn: Int, dSAE: Int, steps: [Int],
                    order: String = "forward", evaluationTokens: Int = 0, firstStageSteps: Int = 0,
                    continualStageSteps: Int = 0, notes: [String] = []) {
            self.title = title; self.model = model; self.hook = hook; self.centered = centered; self.dIn = dIn
            self.dSAE = dSAE; self.steps = steps; self.order = order; self.evaluationTokens = evaluationTokens
            self.firstStageSteps = firstStageSteps; self.continualStageSteps = continualStageSteps; self.notes = notes
        }
    }

    /// One row of the summary table.
    public struct CheckpointSummary: Codable, Equatable {
        public var step: Int
        public var lmLoss: Double?
        public var saeLoss: Double
        public var mse: Double
        public var l0: Double
        public var explainedVariance: Double
        public var deadFraction: Double
        /// (L_zero − L_recon)/(L_zero − L_clean); nil where undefined: no LM, or zero-ablating the
        /// hook does not raise the loss above the clean loss (L_zero ≤ L_clean), where the ratio means nothing.
        public var ceRecovered: Double?
        /// L_recon and L_zero: next-token CE with the hook replaced by the reconstruction, and by zeros.
        public var reconstructedLoss: Double?
        public var zeroAblatedLoss: Double?
        /// Median decoder cosine of live features to the final SAE and to the previous checkpoint's SAE.
        public var cosToFinalMedian: Double
        public var cosToPreviousMedian: Double?
        public var saeTrainingSteps: Int
        public init(step: Int, lmLoss: Double? = nil, saeLoss: Double, mse: Double, l0: Double, explainedVariance: Double,
                    deadFraction: Double, ceRecovered: Double? = nil, reconstructedLoss: Double? = nil, zeroAblatedLoss: Double? = nil,
                    cosToFinalMedian: Double, cosToPreviousMedian: Double? = nil, saeTrainingSteps: Int = 0) {
            self.step = step; self.lmLoss = lmLoss; self.saeLoss = saeLoss; self.mse = mse; self.l0 = l0
            self.explainedVariance = explainedVariance; self.deadFraction = deadFraction; self.ceRecovered = ceRecovered
            self.reconstructedLoss = reconstructedLoss; self.zeroAblatedLoss = zeroAblatedLoss
            self.cosToFinalMedian = cosToFinalMedian; self.cosToPreviousMedian = cosToPreviousMedian
            self.saeTrainingSteps = saeTrainingSteps
        }
    }

    /// One progress measure (e.g. "activation cosine") with a curve per tracked feature and the
    /// population bands over all analysed live features.
    public struct ProgressMeasure: Codable, Equatable {
        /// Identifier: activation_cosine, feature_cosine, weighted_jaccard, binary_jaccard.
        public var measure: String
        public var title: String
        public var steps: [Int]
        public var features: [FeatureCurve]
        /// Quantiles of P(f, c) over every analysed live feature (nil: not computed).
        public var population: PopulationBands?
        public init(measure: String, title: String, steps: [Int], features: [FeatureCurve], population: PopulationBands? = nil) {
            self.measure = measure; self.title = title; self.steps = steps; self.features = features; self.population = population
        }
    }

    /// Quantiles over a population of per-feature curves at each checkpoint (linear interpolation,
    /// numpy's default); nil where no feature of the population has a value.
    public struct PopulationBands: Codable, Equatable {
        /// Features in the population.
        public var features: Int
        public var q10: [Double?]
        public var q25: [Double?]
        public var median: [Double?]
        public var q75: [Double?]
        public var q90: [Double?]
        public init(features: Int, q10: [Double?], q25: [Double?], median: [Double?], q75: [Double?], q90: [Double?]) {
            self.features = features; self.q10 = q10; self.q25 = q25; self.median = median; self.q75 = q75; self.q90 = q90
        }

        /// Bands of `curves` (one value per checkpoint each; nil or non-finite values skipped).
        public init(curves: [[Double?]], checkpoints: Int) {
            var q: [[Double?]] = Array(repeating: [], count: 5)
            for c in 0..<checkpoints {
                let v = curves.compactMap { c < $0.count ? $0[c] : nil }.filter(\.isFinite).sorted()
                for (k, p) in [0.1, 0.25, 0.5, 0.75, 0.9].enumerated() { q[k].append(v.isEmpty ? nil : Quantile.linear(sorted: v, p)) }
            }
            self.init(features: curves.count, q10: q[0], q25: q[1], median: q[2], q75: q[3], q90: q[4])
        }
    }

    /// A per-feature curve over checkpoints, with its automatically found phase boundaries.
    public struct FeatureCurve: Codable, Equatable {
        public var feature: Int
        public var label: String
        /// One value per checkpoint; nil where undefined (feature dead there).
        public var values: [Double?]
        /// Step at which the curve leaves the baseline (emergent phase starts), if it does.
        public var onsetStep: Int?
        /// Step after which the curve stays near its final value (convergent phase), if it does.
        public var settleStep: Int?
        public init(feature: Int, label: String, values: [Double?], onsetStep: Int? = nil, settleStep: Int? = nil) {
            self.feature = feature; self.label = label; self.values = values
            self.onsetStep = onsetStep; self.settleStep = settleStep
        }
    }

    /// The raw random-token similarity R(c) of one measure.
    public struct RandomBaseline: Codable, Equatable {
        public var measure: String
        public var steps: [Int]
        public var values: [Double?]
        public init(measure: String, steps: [Int], values: [Double?]) {
            self.measure = measure; self.steps = steps; self.values = values
        }
    }

    /// Decoder drift over the chain.
    public struct DriftSummary: Codable, Equatable {
        public var steps: [Int]
        /// Quantiles (10, 25, 50, 75, 90 %) over live features of cos(W_dec[c][i], W_dec[final][i])
        /// (empty where no feature is live).
        public var toFinalQuantiles: [[Double]]
        /// Median over live features of cos(W_dec[c][i], W_dec[c−1][i]); nil for the first checkpoint.
        public var toPreviousMedian: [Double?]
        /// The final chain SAE against the from-scratch SAE of the same checkpoint, matched one to
        /// one (nil when no baseline was trained there).
        public var scratch: ChainScratchComparison?
        /// Sampled features' cosine-to-final curves (F9).
        public var features: [FeatureCurve]
        public init(steps: [Int] = [], toFinalQuantiles: [[Double]] = [], toPreviousMedian: [Double?] = [],
                    scratch: ChainScratchComparison? = nil, features: [FeatureCurve] = []) {
            self.steps = steps; self.toFinalQuantiles = toFinalQuantiles; self.toPreviousMedian = toPreviousMedian
            self.scratch = scratch; self.features = features
        }
    }

    /// How much of the chain's final dictionary an independently trained SAE also finds. Feature
    /// indices of independent SAEs mean nothing to each other, so features are matched: one to one
    /// by maximum total decoder cosine (Hungarian; greedy on top-k candidates above 2048 live
    /// features), and each to its best partner (MMCS). Live features only.
    public struct ChainScratchComparison: Codable, Equatable {
        /// Checkpoint step of both SAEs.
        public var step: Int
        /// "exactHungarian" or "greedyTopK".
        public var method: String
        public var liveChain: Int
        public var liveScratch: Int
        public var matched: Int
        /// 10/25/50/75/90 % quantiles of the matched pairs' cosines.
        public var matchedCosineQuantiles: [Double]
        public var matchedCosineMean: Double?
        /// Mean over live chain features of the best cosine to any live scratch feature, and back.
        public var mmcsChainToScratch: Double?
        public var mmcsScratchToChain: Double?
        /// Fraction of live chain features whose one-to-one partner has cosine ≥ `threshold`.
        public var sharedFraction: Double?
        public var threshold: Double
        public init(step: Int, method: String, liveChain: Int, liveScratch: Int, matched: Int, matchedCosineQuantiles: [Double],
                    matchedCosineMean: Double?, mmcsChainToScratch: Double?, mmcsScratchToChain: Double?, sharedFraction: Double?,
                    threshold: Double) {
            self.step = step; self.method = method; self.liveChain = liveChain; self.liveScratch = liveScratch; self.matched = matched
            self.matchedCosineQuantiles = matchedCosineQuantiles; self.matchedCosineMean = matchedCosineMean
            self.mmcsChainToScratch = mmcsChainToScratch; self.mmcsScratchToChain = mmcsScratchToChain
            self.sharedFraction = sharedFraction; self.threshold = threshold
        }
    }

    /// Histogram of per-latent decoder cosine between the SAE at `step` and the final SAE.
    public struct CosineHistogram: Codable, Equatable {
        public var step: Int
        public var finalStep: Int
        public var edges: [Double]
        public var counts: [Double]
        public init(step: Int, finalStep: Int, edges: [Double], counts: [Double]) {
            self.step = step; self.finalStep = finalStep; self.edges = edges; self.counts = counts
        }
    }

    /// PCA trajectory of one feature's decoder row over the chain.
    public struct FeatureTrajectory: Codable, Equatable {
        public var feature: Int
        public var label: String
        public var steps: [Int]
        public var pc1: [Double]
        public var pc2: [Double]
        /// Fraction of variance explained by the two components.
        public var explainedVariance: [Double]
        public init(feature: Int, label: String, steps: [Int], pc1: [Double], pc2: [Double], explainedVariance: [Double]) {
            self.feature = feature; self.label = label; self.steps = steps; self.pc1 = pc1; self.pc2 = pc2
            self.explainedVariance = explainedVariance
        }
    }

    /// Training curves of one run (chain stage or from-scratch baseline).
    public struct TrainingCurve: Codable, Equatable {
        public var run: String
        public var steps: [Int]
        public var loss: [Double]
        public var mse: [Double]
        public var l0: [Double]
        public var explainedVariance: [Double]
        public init(run: String, steps: [Int], loss: [Double], mse: [Double], l0: [Double], explainedVariance: [Double]) {
            self.run = run; self.steps = steps; self.loss = loss; self.mse = mse; self.l0 = l0
            self.explainedVariance = explainedVariance
        }
    }

    /// Warm start vs from scratch at one checkpoint.
    public struct ConvergenceComparison: Codable, Equatable {
        public var checkpointStep: Int
        /// The SAE-Track stage (warm-started from the previous SAE).
        public var chain: TrainingCurve
        /// The independent from-scratch SAE with the same budget as the chain up to this stage.
        public var scratch: TrainingCurve
        /// Held-out EV of the finished chain SAE and of the finished scratch SAE.
        public var chainFinalEV: Double
        public var scratchFinalEV: Double

        // Raw values are what snake_case conversion maps back from (`chain_final_ev` → `chainFinalEv`).
        enum CodingKeys: String, CodingKey {
            case checkpointStep, chain, scratch, chainFinalEV = "chainFinalEv", scratchFinalEV = "scratchFinalEv", scratchStepsToMatchChain
        }
        /// Scratch steps needed to reach the EV the chain reached at the end of its stage (nil: never).
        public var scratchStepsToMatchChain: Int?
        public init(checkpointStep: Int, chain: TrainingCurve, scratch: TrainingCurve, chainFinalEV: Double,
                    scratchFinalEV: Double, scratchStepsToMatchChain: Int?) {
            self.checkpointStep = checkpointStep; self.chain = chain; self.scratch = scratch
            self.chainFinalEV = chainFinalEV; self.scratchFinalEV = scratchFinalEV
            self.scratchStepsToMatchChain = scratchStepsToMatchChain
        }
    }

    /// A planted feature's best-feature AUROC over checkpoints.
    public struct GroundTruthCurve: Codable, Equatable {
        public var name: String
        public var kind: String
        public var steps: [Int]
        public var auroc: [Double?]
        public var bestFeature: [Int?]
        /// First step from which AUROC stays ≥ the formation threshold.
        public var formedStep: Int?
        public init(name: String, kind: String, steps: [Int], auroc: [Double?], bestFeature: [Int?], formedStep: Int?) {
            self.name = name; self.kind = kind; self.steps = steps; self.auroc = auroc
            self.bestFeature = bestFeature; self.formedStep = formedStep
        }
    }

    /// One feature's dashboard over time (SAEDashboard / Neuronpedia style): its label at every
    /// checkpoint, and at chosen checkpoints its firing density, activation histogram, top and
    /// quantile-sampled contexts with per-token activations, and logit lens.
    public struct FeatureCard: Codable, Equatable {
        public var feature: Int
        /// Automatic kind at the last snapshot: "token-level" or "concept-level" (activating-token entropy).
        public var kind: String
        public var description: String
        /// The planted label this feature was chosen for (nil: a random live feature).
        public var plantedLabel: String?
        /// The feature's label at every checkpoint of the chain (semantic evolution as a row).
        public var labels: [StepLabel]
        public var snapshots: [Snapshot]
        /// Fires on the final checkpoint's evaluation tokens.
        public var aliveAtFinal: Bool
        /// Settling step of its weighted-Jaccard progress curve (nil: never settles).
        public var formedStep: Int?
        /// Had a planted label, or fired, at an earlier checkpoint and lost it by the final one.
        public var dissolved: Bool
        public init(feature: Int, kind: String, description: String, plantedLabel: String? = nil, labels: [StepLabel] = [],
                    snapshots: [Snapshot], aliveAtFinal: Bool = true, formedStep: Int? = nil, dissolved: Bool = false) {
            self.feature = feature; self.kind = kind; self.description = description; self.plantedLabel = plantedLabel
            self.labels = labels; self.snapshots = snapshots; self.aliveAtFinal = aliveAtFinal; self.formedStep = formedStep
            self.dissolved = dissolved
        }

        /// The label at one checkpoint: a planted label the feature is the best detector of (AUROC ≥
        /// the formation threshold), else its most frequent top-activating tokens, else "dead".
        public struct StepLabel: Codable, Equatable {
            public var step: Int
            public var text: String
            /// "planted", "top_tokens" or "dead".
            public var source: String
            public var auroc: Double?
            public init(step: Int, text: String, source: String, auroc: Double? = nil) {
                self.step = step; self.text = text; self.source = source; self.auroc = auroc
            }
        }

        /// The card at one checkpoint.
        public struct Snapshot: Codable, Equatable {
            public var step: Int
            /// Fraction of evaluation tokens where the feature fires.
            public var density: Double
            public var maxActivation: Double
            /// Histogram of non-zero activations over [0, max] (edges: bins + 1).
            public var histogramEdges: [Double]
            public var histogramCounts: [Int]
            /// Highest-activating contexts (distinct tokens), best first.
            public var top: [Context]
            /// Contexts sampled from quantile bands of the non-zero activations, lowest band first.
            public var quantileSamples: [Context]
            /// Top and bottom logit-lens tokens (nil: no model weights to read).
            public var logitLens: LogitTokens?
            public init(step: Int, density: Double, maxActivation: Double, histogramEdges: [Double], histogramCounts: [Int],
                        top: [Context], quantileSamples: [Context], logitLens: LogitTokens? = nil) {
                self.step = step; self.density = density; self.maxActivation = maxActivation
                self.histogramEdges = histogramEdges; self.histogramCounts = histogramCounts
                self.top = top; self.quantileSamples = quantileSamples; self.logitLens = logitLens
            }
        }

        /// A window of decoded tokens around an activating position, with the feature's activation at every token.
        public struct Context: Codable, Equatable {
            /// Activation at the focus token.
            public var activation: Double
            /// Text pieces (concatenated they read as the decoded window).
            public var tokens: [String]
            /// The feature's activation at each token of the window.
            public var activations: [Double]
            /// Index into `tokens` of the focus token.
            public var position: Int
            /// Quantile band, e.g. "25–50 %" (nil for top contexts).
            public var band: String?
            public init(activation: Double, tokens: [String], activations: [Double], position: Int, band: String? = nil) {
                self.activation = activation; self.tokens = tokens; self.activations = activations; self.position = position; self.band = band
            }
        }

        /// Logit-lens extremes at one checkpoint.
        public struct LogitTokens: Codable, Equatable {
            public var top: [TokenScore]
            public var bottom: [TokenScore]
            public init(top: [TokenScore], bottom: [TokenScore]) { self.top = top; self.bottom = bottom }
        }

        public struct TokenScore: Codable, Equatable {
            public var token: String
            public var id: Int
            public var logit: Double
            public init(token: String, id: Int, logit: Double) { self.token = token; self.id = id; self.logit = logit }
        }
    }
}
