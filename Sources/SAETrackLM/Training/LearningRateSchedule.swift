import Foundation

/// Linear warmup, then cosine decay to a floor (llm.c's and Pythia's schedule):
///
///     lr(s) = peak · (s + 1) / warmup                                   for s < warmup
///     lr(s) = peak · (r + (1 − r) · ½ (1 + cos(π · (s − warmup) / (total − warmup))))   otherwise
///
/// with r = `minRatio`. Step s is zero-based: the first update uses `lr(0) = peak / warmup`, so even
/// the step-1 checkpoint has moved.
public struct LearningRateSchedule: Codable, Equatable, Sendable {
    public var peak: Float
    public var warmupSteps: Int
    public var totalSteps: Int
    public var minRatio: Float

    public init(peak: Float, warmupSteps: Int, totalSteps: Int, minRatio: Float = 0.1) {
        self.peak = peak; self.warmupSteps = warmupSteps; self.totalSteps = totalSteps; self.minRatio = minRatio
    }

    /// The learning rate of zero-based step `step`.
    public func learningRate(at step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        let progress = min(1, Double(step - warmupSteps) / Double(max(1, totalSteps - warmupSteps)))
        let cosine = Float(0.5 * (1 + cos(Double.pi * progress)))
        return peak * (minRatio + (1 - minRatio) * cosine)
    }
}
