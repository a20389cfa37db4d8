import SAETrackCore

/// What a hook visitor wants after seeing (and possibly replacing) one hook's activations.
public enum HookVisit: Sendable {
    /// Keep running the model.
    case proceed
    /// Stop the forward pass here (the caller has what it needs).
    case stop
}

/// Called at every hook point with the activations there, (B*T, C); the visitor may read them,
/// replace them in place (the model continues from the replaced values), or stop the pass.
public typealias HookVisitor = (HookPoint, inout Matrix) -> HookVisit
