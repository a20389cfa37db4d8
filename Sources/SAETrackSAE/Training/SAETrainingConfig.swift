import Foundation

/// Which sparse autoencoder is trained.
public enum SAEArchitecture: String, Codable, CaseIterable, Sendable {
    /// ReLU codes with an L1 penalty (SAE-Track, SAELens `standard`).
    case standard
    /// The k largest pre-activations per token, ReLU'd (SAELens `topk`), with AuxK for dead latents.
    case topk
    /// The k·B largest ReLU'd pre-activations of the whole batch (SAELens `batchtopk`), with AuxK;
    /// a running threshold (the EMA of the smallest kept code, rate `topk_threshold_lr`) makes the
    /// trained SAE a JumpReLU SAE, as SAELens saves it.
    case batchtopk
    /// Per-feature thresholds θ: f = pre·1[pre > θ] (SAELens `jumprelu`, 6.54.12: θ trained directly
    /// and kept ≥ 0), θ learned through the rectangle straight-through estimator of width
    /// `jumprelu_bandwidth`, with the "step" L0 loss `l0_coefficient · mean_b Σ_i 1[pre > θ]`.
    case jumprelu
    /// Matryoshka BatchTopK (SAELens `matryoshka_batchtopk`): BatchTopK codes, and besides the full
    /// reconstruction one per nested prefix of the dictionary — level w decodes only features
    /// 0..<w (`matryoshka_widths`) — each level's `mean_b Σ_j (x̂_w − x)²` added to the loss. AuxK on
    /// the full reconstruction, or per level (`use_matryoshka_aux_loss`); saved, like BatchTopK, as a
    /// JumpReLU SAE with the running threshold.
    case matryoshka

    /// BatchTopK selection with the running threshold (batchtopk and matryoshka).
    public var selectsBatchTopK: Bool { self == .batchtopk || self == .matryoshka }
    /// Selects a fixed number of codes (`k` per token or k·B per batch) and uses AuxK for dead latents.
    public var usesK: Bool { self == .topk || selectsBatchTopK }
}

/// JumpReLU's sparsity loss (SAELens `jumprelu_sparsity_loss_mode`), with L0_b = Σ_i 1[pre[b,i] > θ_i].
public enum SAEJumpReLUSparsity: String, Codable, CaseIterable, Sendable {
    /// `l0_coefficient · mean_b L0_b` (DeepMind's L0 loss; SAELens's default).
    case step
    /// `l0_coefficient · mean_b 2/t·(L0_b − t)²` around `target_l0` t (Gemma Scope 2).
    case quadratic
    /// `l0_coefficient · mean_b Σ_i tanh(s · f[b,i] · ‖W_dec[i]‖)` with s = `jumprelu_tanh_scale`
    /// (Anthropic's sparsity loss): differentiable in f and ‖W_dec[i]‖, and in θ through the
    /// straight-through estimator.
    case tanh
}

/// How the reconstruction error is scaled.
public enum SAEMSEMode: String, Codable, Sendable {
    /// SAE-Track (Docs/Method.md §3.2): `mean_{b,j} (x̂ − x)² / ‖x_b − mean_batch(x)‖₂` — divided by the
    /// norm, not the squared norm, and averaged over B·d.
    case saeTrack
    /// SAELens v6: `mean_b Σ_j (x̂ − x)²`.
    case saeLens
}

/// How the decoder rows are treated (SAE-Track's `w_dec_norm`).
public enum SAEDecoderNormMode: String, Codable, Sendable {
    /// `w_dec_norm = 1`: rows renormalised to unit L2 norm before every step and before saving.
    case unitNorm
    /// `w_dec_norm = 0`: rows are free (no renormalisation).
    case free
}

/// The sparsity penalty of the `standard` architecture.
public enum SAEL1Mode: String, Codable, Sendable {
    /// `(1/B) Σ_b Σ_i f[b,i]` (SAE-Track default, `w_dec_norm = 1`).
    case plain
    /// `(1/B) Σ_b Σ_i f[b,i]·‖W_dec[i]‖₂` (SAE-Track `w_dec_norm = 0`, SAELens v6 standard).
    case decoderNormWeighted
}

/// Learning-rate schedule; `s` is the 0-based optimizer step.
public enum SAELRSchedule: String, Codable, Sendable {
    /// SAE-Track's `constantwithwarmup`: `lr · min(1, (s+1)/warmup)` — the first step already uses
    /// `lr/warmup` (Docs/Method.md §12 Q12).
    case constantWithWarmup
    /// The same warm-up, constant, then a linear decay to `lrEnd` over the last `decaySteps` steps.
    case warmupLinearDecay
}

/// How W_enc and W_dec are initialised for a from-scratch SAE.
public enum SAEWeightInit: String, Codable, Sendable {
    /// SAE-Track's (Docs/Method.md §3.1): independent Kaiming-uniform W_enc and W_dec, unit decoder rows.
    case saeTrack
    /// SAELens's tied initialisation: decoder rows of norm `decoder_init_norm`, W_enc = W_decᵀ.
    case tied
}

/// How `b_dec` is initialised for a from-scratch SAE.
public enum SAEBDecInit: String, Codable, Sendable {
    /// Weiszfeld geometric median of an activation sample (Docs/Method.md §3.3).
    case geometricMedian
    /// Mean of an activation sample.
    case mean
    /// Zeros.
    case zeros
}

/// Every knob of one SAE training run.
///
/// Defaults equal SAE-Track's first-stage column of Docs/Method.md §4.2 except the dictionary size and
/// token budget, which are always given. Use ``firstStage(dIn:dSAE:tokens:batchSize:seed:)`` and
/// ``continualStage(dIn:dSAE:tokens:batchSize:seed:)`` for the two columns.
public struct SAETrainingConfig: Codable, Sendable, Equatable {
    public var architecture: SAEArchitecture = .standard
    /// Input width d_in.
    public var dIn: Int
    /// Dictionary size d_sae.
    public var dSAE: Int
    /// TopK: active latents per token.
    public var k: Int = 32
    /// AuxK loss coefficient (TopK and BatchTopK; SAELens `aux_loss_coefficient`).
    public var auxKCoefficient: Float = 1
    /// BatchTopK: rate of the running threshold θ ← (1 − r)·θ + r·min(kept codes) (SAELens
    /// `topk_threshold_lr`).
    /// (Default 0.01; configs written before BatchTopK existed decode without it.)
    @DecodedDefault<TrainingDefaults.TopkThresholdLR> public var topkThresholdLR: Double
    /// TopK, BatchTopK and Matryoshka: select on pre ⊙ ‖W_dec[i]‖ (TopK: the k largest per token;
    /// BatchTopK: the k·B largest of the batch after ReLU) and decode the codes divided by ‖W_dec[i]‖
    /// again, AuxK and Matryoshka's inner levels included (SAELens `rescale_acts_by_decoder_norm`;
    /// default false). A trained TopK SAE keeps the option; BatchTopK and Matryoshka SAEs are saved as
    /// JumpReLU SAEs with the norms folded into the weights, as SAELens saves them
    /// (``SAEParameters/foldingDecoderNorms()``), and the running threshold is kept in the rescaled units.
    @DecodedDefault<TrainingDefaults.False> public var rescaleActsByDecoderNorm: Bool
    /// Matryoshka: AuxK per level instead of on the full reconstruction (SAELens
    /// `use_matryoshka_aux_loss`; default false): each level [w_{h−1}, w_h) with dead latents has its
    /// dead latents reconstruct that level's residual x − x̂_{w_h} (`MatryoshkaAuxKLoss`).
    /// Configs written before the option existed decode as false.
    @DecodedDefault<TrainingDefaults.False> public var useMatryoshkaAuxLoss: Bool
    /// JumpReLU: width ε of the rectangle kernel of the straight-through estimator (SAELens
    /// `jumprelu_bandwidth`, default 0.05).
    @DecodedDefault<TrainingDefaults.JumpReLUBandwidth> public var jumpReLUBandwidth: Float
    /// JumpReLU: θ of a from-scratch SAE (SAELens `jumprelu_init_threshold`, default 0.01).
    @DecodedDefault<TrainingDefaults.JumpReLUInitThreshold> public var jumpReLUInitThreshold: Float
    /// JumpReLU: coefficient of the L0 loss (SAELens `l0_coefficient`, default 1).
    @DecodedDefault<TrainingDefaults.L0Coefficient> public var l0Coefficient: Float
    /// JumpReLU: the sparsity loss form (SAELens `jumprelu_sparsity_loss_mode`; default `step`).
    @DecodedDefault<TrainingDefaults.StepSparsity> public var jumpReLUSparsity: SAEJumpReLUSparsity
    /// JumpReLU `quadratic`: the target L0 t (SAELens `target_l0`; 0 = unset).
    @DecodedDefault<TrainingDefaults.ZeroFloat> public var targetL0: Float
    /// JumpReLU `tanh`: the scale s inside the tanh (SAELens `jumprelu_tanh_scale`, default 4).
    @DecodedDefault<TrainingDefaults.JumpReLUTanhScale> public var jumpReLUTanhScale: Float
    /// JumpReLU: coefficient of Anthropic's pre-activation loss on dead latents,
    /// `coefficient · mean_b Σ_{i dead} ReLU(θ_i − pre[b,i]) · ‖W_dec[i]‖` (SAELens
    /// `pre_act_loss_coefficient`; nil = off, SAELens's default; Anthropic used 3e-6).
    public var preActLossCoefficient: Float? = nil
    /// JumpReLU: the straight-through estimator also passes its gradient to the pre-activations
    /// (hence W_enc, b_enc, b_dec), not only to θ (SAELens `jumprelu_ste_to_input`; default false,
    /// DeepMind's JumpReLU; true is Anthropic's setup).
    @DecodedDefault<TrainingDefaults.False> public var jumpReLUSTEToInput: Bool
    /// JumpReLU: linear warm-up of the L0 coefficient over this many steps, SAELens's
    /// `CoefficientScheduler`: `l0_coefficient · min(1, s / l0WarmupSteps)` at 0-based step s, so the
    /// first step has none (SAELens `l0_warm_up_steps`; 0 = off).
    @DecodedDefault<TrainingDefaults.ZeroInt> public var l0WarmupSteps: Int
    /// Matryoshka: the increasing prefix widths of the nested levels (SAELens `matryoshka_widths`);
    /// d_sae is the last level and is appended when missing, as SAELens does (``matryoshkaLevels``).
    @DecodedDefault<TrainingDefaults.NoWidths> public var matryoshkaWidths: [Int]
    public var mseMode: SAEMSEMode = .saeTrack
    public var l1Mode: SAEL1Mode = .plain
    public var decoderNormMode: SAEDecoderNormMode = .unitNorm
    /// Remove the gradient component parallel to each decoder row (Docs/Method.md §4.1 step 7; SAE-Track
    /// applies it in both decoder modes).
    public var removeParallelGradient: Bool = true
    public var l1Coefficient: Float = 8e-5
    /// Linear L1 warm-up: coefficient · min(1, (s+1)/l1WarmupSteps); 0 = off.
    public var l1WarmupSteps: Int = 0
    public var lr: Float = 4e-4
    public var adamBeta1: Float = 0.9
    public var adamBeta2: Float = 0.999
    public var adamEpsilon: Float = 1e-8
    /// Clip the total gradient norm (every parameter, θ included) to this before each Adam step, as
    /// SAELens's trainer does with 1 (`clip_grad_norm_`); nil = no clipping (SAE-Track, the default).
    public var clipGradNorm: Float? = nil
    public var schedule: SAELRSchedule = .constantWithWarmup
    public var warmupSteps: Int = 5000
    /// `warmupLinearDecay`: length of the final linear decay.
    public var decaySteps: Int = 0
    /// `warmupLinearDecay`: learning rate reached at the last step.
    public var lrEnd: Float = 0
    /// Optimizer steps (SAE-Track: ceil(total_tokens / batchSize)).
    public var steps: Int
    /// Tokens per step.
    public var batchSize: Int = 4096
    public var bDecInit: SAEBDecInit = .geometricMedian
    /// W_enc / W_dec of a from-scratch SAE (default SAE-Track's; configs written before the option
    /// existed decode as that).
    @DecodedDefault<TrainingDefaults.SAETrackWeightInit> public var weightInit: SAEWeightInit
    /// `tied`: the decoder rows' initial norm (SAELens `decoder_init_norm`, default 0.1).
    @DecodedDefault<TrainingDefaults.DecoderInitNorm> public var decoderInitNorm: Float
    /// Activations used for the b_dec initialisation (SAE-Track: its 262,144-token storage buffer).
    public var bDecInitSamples: Int = 262_144
    /// Ghost grads for dead features (standard architecture, Docs/Method.md §4.3).
    public var ghostGrads: Bool = true
    /// A feature is dead when it has not fired for more than this many steps.
    public var deadFeatureWindow: Int = 5000
    /// Firing frequencies are logged and reset every this many steps.
    public var featureSamplingWindow: Int = 1000
    /// Resample dead features at chosen steps (``DeadFeatureResampling``; nil = never, as the paper).
    /// Configs written before the option existed decode as nil.
    public var resampling: DeadFeatureResampling? = nil
    /// Anchor to the previous SAE: λ·(‖W_enc − W_enc^prev‖² + ‖W_dec − W_dec^prev‖²) (Docs/Method.md §5.4).
    public var regCoefficient: Float = 0
    public var seed: UInt64 = 42
    public var logEvery: Int = 100
    /// Save a resumable trainer state every this many steps (0 = never).
    public var saveEvery: Int = 0
    /// Rows of the batch per encoder GEMM (bounds the dense pre-activation buffer) in the chunked
    /// encoder path: TopK, and ReLU steps that gather dead features' pre-activations for ghost
    /// grads. Other ReLU steps encode in cache-sized feature blocks and never hold (rows, d_sae).
    public var encoderChunkRows: Int = 4096

    enum CodingKeys: String, CodingKey {
        case architecture, k
        case dIn = "d_in", dSAE = "d_sae"
        case auxKCoefficient = "aux_loss_coefficient", topkThresholdLR = "topk_threshold_lr"
        case rescaleActsByDecoderNorm = "rescale_acts_by_decoder_norm"
        case jumpReLUBandwidth = "jumprelu_bandwidth", jumpReLUInitThreshold = "jumprelu_init_threshold"
        case jumpReLUSparsity = "jumprelu_sparsity_loss_mode", targetL0 = "target_l0"
        case jumpReLUTanhScale = "jumprelu_tanh_scale", preActLossCoefficient = "pre_act_loss_coefficient"
        case jumpReLUSTEToInput = "jumprelu_ste_to_input", l0WarmupSteps = "l0_warm_up_steps"
        case l0Coefficient = "l0_coefficient", matryoshkaWidths = "matryoshka_widths"
        case useMatryoshkaAuxLoss = "use_matryoshka_aux_loss"
        case mseMode = "mse_mode", l1Mode = "l1_mode", decoderNormMode = "decoder_norm_mode"
        case removeParallelGradient = "remove_parallel_gradient"
        case l1Coefficient = "l1_coefficient", l1WarmupSteps = "l1_warm_up_steps"
        case lr, adamBeta1 = "adam_beta1", adamBeta2 = "adam_beta2", adamEpsilon = "adam_epsilon"
        case clipGradNorm = "clip_grad_norm"
        case schedule = "lr_scheduler_name", warmupSteps = "lr_warm_up_steps", decaySteps = "lr_decay_steps"
        case lrEnd = "lr_end", steps, batchSize = "train_batch_size_tokens"
        case bDecInit = "b_dec_init_method", bDecInitSamples = "b_dec_init_samples"
        case weightInit = "weight_init", decoderInitNorm = "decoder_init_norm"
        case ghostGrads = "use_ghost_grads", deadFeatureWindow = "dead_feature_window"
        case featureSamplingWindow = "feature_sampling_window", resampling = "dead_feature_resampling", regCoefficient = "reg_coefficient"
        case seed, logEvery = "log_every", saveEvery = "save_every", encoderChunkRows = "encoder_chunk_rows"
    }

    /// A configuration with the given sizes and step count and every other knob at its default.
    public init(dIn: Int, dSAE: Int, steps: Int) {
        self.dIn = dIn
        self.dSAE = dSAE
        self.steps = steps
    }

    /// Steps needed to see `tokens` tokens: ceil(tokens / batchSize), as SAE-Track's `<` loop does.
    public static func steps(forTokens tokens: Int, batchSize: Int) -> Int {
        (tokens + batchSize - 1) / batchSize
    }

    /// SAE-Track's from-scratch SAE (Docs/Method.md §4.2, first column): lr 4e-4 with a 5000-step warm-up,
    /// l1 8e-5, geometric-median b_dec, ghost grads after 5000 silent steps, sampling window 1000.
    /// The paper's budget is 300M tokens.
    public static func firstStage(dIn: Int, dSAE: Int, tokens: Int = 300_000_000, batchSize: Int = 4096,
                                  seed: UInt64 = 42) -> SAETrainingConfig {
        var c = SAETrainingConfig(dIn: dIn, dSAE: dSAE, steps: steps(forTokens: tokens, batchSize: batchSize))
        c.batchSize = batchSize
        c.seed = seed
        return c
    }

    /// SAE-Track's continual stage (Docs/Method.md §4.2, second column): warm start from the previous SAE,
    /// lr 4e-5 with a 3-step warm-up, ghost grads on but dead window 1e11 (never fires), sampling
    /// window 250, b_dec kept. The paper's budget is 15M tokens.
    public static func continualStage(dIn: Int, dSAE: Int, tokens: Int = 15_000_000, batchSize: Int = 4096,
                                      seed: UInt64 = 42) -> SAETrainingConfig {
        var c = firstStage(dIn: dIn, dSAE: dSAE, tokens: tokens, batchSize: batchSize, seed: seed)
        c.lr = 4e-5
        c.warmupSteps = 3
        c.deadFeatureWindow = 100_000_000_000
        c.featureSamplingWindow = 250
        return c
    }

    /// Matryoshka: every level's width, increasing, ending at d_sae (`matryoshkaWidths`, with d_sae
    /// appended when it is not already the last).
    public var matryoshkaLevels: [Int] {
        matryoshkaWidths.last == dSAE ? matryoshkaWidths : matryoshkaWidths + [dSAE]
    }

    /// Learning rate at 0-based optimizer step `s`.
    public func learningRate(atStep s: Int) -> Float {
        let warm = warmupSteps > 0 ? min(1, Float(s + 1) / Float(warmupSteps)) : 1
        switch schedule {
        case .constantWithWarmup:
            return lr * warm
        case .warmupLinearDecay:
            let decayStart = steps - decaySteps
            if decaySteps > 0 && s >= decayStart {
                let t = Float(s - decayStart + 1) / Float(decaySteps)        // (0, 1]
                return (lr + (lrEnd - lr) * t) * warm
            }
            return lr * warm
        }
    }

    /// L1 coefficient at 0-based step `s` (linear warm-up when `l1WarmupSteps > 0`).
    public func l1Coefficient(atStep s: Int) -> Float {
        l1WarmupSteps > 0 ? l1Coefficient * min(1, Float(s + 1) / Float(l1WarmupSteps)) : l1Coefficient
    }

    /// JumpReLU's L0 coefficient at 0-based step `s` (SAELens's warm-up when `l0WarmupSteps > 0`).
    public func l0Coefficient(atStep s: Int) -> Float {
        l0WarmupSteps > 0 ? l0Coefficient * Float(min(s, l0WarmupSteps)) / Float(l0WarmupSteps) : l0Coefficient
    }

    /// Checks the configuration, naming every problem.
    public func validate() throws {
        var problems: [String] = []
        if dIn <= 0 { problems.append("d_in must be positive (got \(dIn))") }
        if dSAE <= 0 { problems.append("d_sae must be positive (got \(dSAE))") }
        if steps < 0 { problems.append("steps must be ≥ 0 (got \(steps))") }
        if batchSize <= 0 { problems.append("batch size must be positive (got \(batchSize))") }
        if rescaleActsByDecoderNorm && !architecture.usesK {
            problems.append("rescale_acts_by_decoder_norm is a topk, batchtopk and matryoshka option")
        }
        if useMatryoshkaAuxLoss && architecture != .matryoshka { problems.append("use_matryoshka_aux_loss is a matryoshka option") }
        if architecture == .jumprelu && !(jumpReLUBandwidth > 0) { problems.append("jumprelu_bandwidth must be positive (got \(jumpReLUBandwidth))") }
        if architecture == .jumprelu && !(jumpReLUInitThreshold >= 0) { problems.append("jumprelu_init_threshold must be ≥ 0") }
        if architecture.usesK && (k <= 0 || k > dSAE) { problems.append("k must be in 1...d_sae (got \(k))") }
        if architecture == .jumprelu && jumpReLUSparsity == .quadratic && !(targetL0 > 0 && targetL0 <= Float(dSAE)) {
            problems.append("target_l0 must be in (0, d_sae] for the quadratic sparsity loss (got \(targetL0))")
        }
        if architecture == .jumprelu && jumpReLUSparsity == .tanh && !(jumpReLUTanhScale > 0) {
            problems.append("jumprelu_tanh_scale must be positive (got \(jumpReLUTanhScale))")
        }
        if let c = preActLossCoefficient {
            if architecture != .jumprelu { problems.append("pre_act_loss_coefficient is a jumprelu option") }
            if !(c >= 0) { problems.append("pre_act_loss_coefficient must be ≥ 0 (got \(c))") }
        }
        if jumpReLUSTEToInput && architecture != .jumprelu { problems.append("jumprelu_ste_to_input is a jumprelu option") }
        if weightInit == .tied && !(decoderInitNorm > 0) { problems.append("decoder_init_norm must be positive (got \(decoderInitNorm))") }
        if let c = clipGradNorm, !(c > 0) { problems.append("clip_grad_norm must be positive (got \(c))") }
        if l0WarmupSteps < 0 { problems.append("l0_warm_up_steps must be ≥ 0 (got \(l0WarmupSteps))") }
        if architecture == .matryoshka {
            if matryoshkaWidths.isEmpty { problems.append("matryoshka_widths must not be empty") }
            if matryoshkaWidths.contains(where: { $0 <= 0 || $0 > dSAE }) { problems.append("matryoshka_widths must lie in 1...d_sae (got \(matryoshkaWidths))") }
            if zip(matryoshkaWidths, matryoshkaWidths.dropFirst()).contains(where: { $0 >= $1 }) {
                problems.append("matryoshka_widths must be strictly increasing (got \(matryoshkaWidths))")
            }
        } else if !matryoshkaWidths.isEmpty {
            problems.append("matryoshka_widths is a matryoshka option")
        }
        if !(topkThresholdLR > 0 && topkThresholdLR <= 1) { problems.append("topk_threshold_lr must be in (0, 1] (got \(topkThresholdLR))") }
        if lr <= 0 { problems.append("lr must be positive (got \(lr))") }
        if schedule == .warmupLinearDecay && decaySteps > steps {
            problems.append("lr_decay_steps (\(decaySteps)) exceeds steps (\(steps))")
        }
        if featureSamplingWindow <= 0 { problems.append("feature_sampling_window must be positive") }
        if encoderChunkRows <= 0 { problems.append("encoder_chunk_rows must be positive") }
        if let resampling { problems += resampling.problems() }
        if !problems.isEmpty { throw SAETrainingError.invalidConfig(problems) }
    }
}
