/// A default that a ``DecodedDefault`` property takes when its key is absent.
public protocol DecodingDefault {
    associatedtype Value: Codable & Equatable & Sendable
    static var value: Value { get }
}

/// A Codable property that decodes to `D.value` when its key is missing, so configs written before
/// the field existed (track.json, trainer states) still load; encoding writes the value as usual.
///
/// ```swift
/// enum Rate: DecodingDefault { static let value = 0.01 }
/// @DecodedDefault<Rate> var topkThresholdLR: Double      // starts at, and decodes missing as, 0.01
/// ```
@propertyWrapper
public struct DecodedDefault<D: DecodingDefault>: Codable, Equatable, Sendable {
    public var wrappedValue: D.Value

    public init() { wrappedValue = D.value }
    public init(wrappedValue: D.Value) { self.wrappedValue = wrappedValue }

    public init(from decoder: Decoder) throws {
        wrappedValue = try decoder.singleValueContainer().decode(D.Value.self)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(wrappedValue)
    }
}

extension KeyedDecodingContainer {
    /// A missing key gives the default (used by synthesised `init(from:)`).
    public func decode<D>(_ type: DecodedDefault<D>.Type, forKey key: Key) throws -> DecodedDefault<D> {
        try decodeIfPresent(type, forKey: key) ?? DecodedDefault()
    }
}

/// Defaults of the training options added after the first track directories were written.
public enum TrainingDefaults {
    public enum TopkThresholdLR: DecodingDefault { public static let value = 0.01 }
    public enum JumpReLUBandwidth: DecodingDefault { public static let value: Float = 0.05 }
    public enum JumpReLUInitThreshold: DecodingDefault { public static let value: Float = 0.01 }
    public enum L0Coefficient: DecodingDefault { public static let value: Float = 1 }
    public enum Architecture: DecodingDefault { public static let value = SAEArchitecture.standard }
    public enum K: DecodingDefault { public static let value = 32 }
    public enum False: DecodingDefault { public static let value = false }
    public enum ZeroFloat: DecodingDefault { public static let value: Float = 0 }
    public enum SAETrackWeightInit: DecodingDefault { public static let value = SAEWeightInit.saeTrack }
    public enum DecoderInitNorm: DecodingDefault { public static let value: Float = 0.1 }
    public enum ZeroInt: DecodingDefault { public static let value = 0 }
    public enum JumpReLUTanhScale: DecodingDefault { public static let value: Float = 4 }
    public enum StepSparsity: DecodingDefault { public static let value = SAEJumpReLUSparsity.step }
    public enum NoWidths: DecodingDefault { public static let value: [Int] = [] }
    public enum JumpReLU: DecodingDefault { public static var value: SAEJumpReLUTraining { SAEJumpReLUTraining() } }
    public enum AutoInit: DecodingDefault { public static var value: SAEInitChoices { SAEInitChoices() } }
}
