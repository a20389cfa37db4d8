/// Public constructors of the training results, for trainers outside this module (the
/// latent-sharded trainer of `SAETrackMPI`); the synthesised memberwise initialisers are internal.
extension SAETrainingLogEntry {
    /// An entry with every field given.
    public static func make(step: Int, tokens: Int, lr: Float, l1Coefficient: Float, terms: SAELossTerms, deadFeatures: Int,
                            meanPassesSinceFired: Float, tokensPerSecond: Double, elapsedSeconds: Double) -> SAETrainingLogEntry {
        SAETrainingLogEntry(step: step, tokens: tokens, lr: lr, l1Coefficient: l1Coefficient, terms: terms,
                            deadFeatures: deadFeatures, meanPassesSinceFired: meanPassesSinceFired,
                            tokensPerSecond: tokensPerSecond, elapsedSeconds: elapsedSeconds)
    }
}

extension SAETrainingResult {
    /// A result with every field given.
    public static func make(sae: SparseAutoencoder, log: [SAETrainingLogEntry], firingFrequency: [Float],
                            steps: Int) -> SAETrainingResult {
        SAETrainingResult(sae: sae, log: log, firingFrequency: firingFrequency, steps: steps)
    }
}

extension SAELossTerms {
    /// All terms zero.
    public static var zero: SAELossTerms { SAELossTerms() }
}
