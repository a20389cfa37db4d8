import Foundation
import SAETrackCore
import SAETrackIO
import SAETrackLM

/// An ordered, endless stream of activation blocks (it wraps around at the end of its data), the
/// input of ``MixingActivationStore``.
public protocol ActivationProducer {
    var dIn: Int { get }
    /// The next block of activations, (n, d_in) with n ≥ 1.
    mutating func nextBlock() throws -> Matrix
    /// Where the stream stands (restorable).
    var position: ActivationProducerPosition { get }
    mutating func seek(to position: ActivationProducerPosition) throws
}

/// Any ``ActivationProducer`` behind one concrete type, so a ``MixingActivationStore`` can stream
/// from a producer chosen at run time (a track's checkpoint LM, a disk cache, a test stream).
public struct AnyActivationProducer: ActivationProducer {
    private var base: any ActivationProducer
    public init(_ base: some ActivationProducer) { self.base = base }
    public var dIn: Int { base.dIn }
    public mutating func nextBlock() throws -> Matrix { try base.nextBlock() }
    public var position: ActivationProducerPosition { base.position }
    public mutating func seek(to position: ActivationProducerPosition) throws { try base.seek(to: position) }
}

/// A producer's position: which pass over the data and where in it.
public struct ActivationProducerPosition: Codable, Sendable, Equatable {
    public var epoch: Int
    public var offset: Int
    public init(epoch: Int, offset: Int) { self.epoch = epoch; self.offset = offset }
}

/// Token rows → the LM up to the hook → activations (Docs/Method.md §2.4's `get_activations`).
///
/// Each block is `storeBatchRows` token rows (SAE-Track: 32 × 128 tokens), run through
/// `TransformerLM.activations(tokens:rows:context:at:centered:)` which stops after the hook's
/// block. BOS positions are kept (SAE-Track's default) or dropped. At the end of the token rows it
/// starts again from the first row (SAE-Track streams the Pile and never wraps; a local corpus does).
public struct LMActivationProducer: ActivationProducer {
    public let model: TransformerLM
    /// (rows, context) row-major.
    public let tokens: [Int32]
    public let rows: Int
    public let context: Int
    public let hook: HookPoint
    public let centered: Bool
    public let includeBOS: Bool
    public let bosTokenID: Int32?
    public let storeBatchRows: Int
    private var cursor = 0
    private var epoch = 0

    public var dIn: Int { model.dModel }

    public init(model: TransformerLM, tokens: [Int32], rows: Int, context: Int, hook: HookPoint, centered: Bool,
                includeBOS: Bool = true, bosTokenID: Int32? = nil, storeBatchRows: Int = 32) throws {
        try model.validate(tokens: tokens, rows: rows, context: context)
        try model.validate(hook)
        guard rows > 0 else { throw SAETrainingError.sourceExhausted("the token dataset has no rows") }
        self.model = model; self.tokens = tokens; self.rows = rows; self.context = context
        self.hook = hook; self.centered = centered; self.includeBOS = includeBOS
        self.bosTokenID = bosTokenID ?? model.config.bosTokenID.map(Int32.init)
        self.storeBatchRows = max(1, storeBatchRows)
    }

    public mutating func nextBlock() throws -> Matrix {
        while true {
            let n = min(storeBatchRows, rows - cursor), start = cursor
            let slice = Array(tokens[(cursor * context)..<((cursor + n) * context)])
            cursor += n
            if cursor == rows { cursor = 0; epoch += 1 }
            let acts = model.activations(tokens: slice, rows: n, context: context, at: hook, centered: centered)
            try NonFiniteDataError.check(acts, source: "the language model at \(hook.name)", tensor: "activations",
                                         rowMeaning: "token (flat index over the token rows)",
                                         rowOffset: start * context)
            if includeBOS || bosTokenID == nil { return acts }
            let keep = slice.indices.filter { slice[$0] != bosTokenID! }
            if keep.isEmpty { continue }
            return acts.rows(at: keep)
        }
    }

    public var position: ActivationProducerPosition { ActivationProducerPosition(epoch: epoch, offset: cursor) }

    public mutating func seek(to position: ActivationProducerPosition) throws {
        guard position.offset >= 0 && position.offset < rows else {
            throw SAETrainingError.notResumable("token row \(position.offset) is outside the \(rows) rows of the dataset")
        }
        epoch = position.epoch; cursor = position.offset
    }
}

/// Fixed-size blocks over an activation matrix in memory, in order, wrapping around
/// (e.g. `--activations FILE` fed through a ``MixingActivationStore``).
public struct MatrixActivationProducer: ActivationProducer {
    /// (N, d_in)
    public let activations: Matrix
    public let blockRows: Int
    private var cursor = 0
    private var epoch = 0
    public var dIn: Int { activations.cols }

    public init(_ activations: Matrix, blockRows: Int = 4096) {
        precondition(activations.rows > 0 && blockRows > 0, "MatrixActivationProducer: empty activations or block")
        self.activations = activations
        self.blockRows = blockRows
    }

    public mutating func nextBlock() throws -> Matrix {
        let n = min(blockRows, activations.rows - cursor)
        defer {
            cursor += n
            if cursor == activations.rows { cursor = 0; epoch += 1 }
        }
        return activations.rows(cursor..<(cursor + n))
    }

    public var position: ActivationProducerPosition { ActivationProducerPosition(epoch: epoch, offset: cursor) }

    public mutating func seek(to position: ActivationProducerPosition) throws {
        guard position.offset >= 0 && position.offset < activations.rows else {
            throw SAETrainingError.notResumable("row \(position.offset) is outside the \(activations.rows) activations")
        }
        epoch = position.epoch; cursor = position.offset
    }
}
