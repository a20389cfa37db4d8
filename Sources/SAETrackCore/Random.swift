/// A seeded xoshiro256** generator: same seed, same numbers, on every run and thread count.
///
/// Seeded through splitmix64 as the xoshiro authors recommend. Conforms to
/// `RandomNumberGenerator`, and adds `Float` uniform and normal draws.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    /// A generator whose stream is fully determined by `seed`.
    public init(seed: UInt64) {
        var z = seed
        func splitmix() -> UInt64 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return x ^ (x >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    /// The generator's four state words: saved with a resumable run, so that
    /// ``init(state:)`` continues the very same stream.
    public var state: [UInt64] { [s.0, s.1, s.2, s.3] }

    /// A generator continuing the stream whose ``state`` was saved.
    public init(state words: [UInt64]) {
        precondition(words.count == 4, "SeededRandom(state:) needs 4 words, got \(words.count)")
        s = (words[0], words[1], words[2], words[3])
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = Self.rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = Self.rotl(s.3, 45)
        return result
    }

    /// Uniform in [0, 1) with 24 bits of precision.
    public mutating func uniform() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * uniform() }

    /// Standard normal draw (Box–Muller in Double, one value per call).
    public mutating func normal() -> Float {
        let u1 = (Double(next() >> 11) + 1) * (1.0 / 9_007_199_254_740_993.0)   // (0, 1]
        let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
        return Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
    }

    /// Normal draw with the given mean and standard deviation.
    public mutating func normal(mean: Float, std: Float) -> Float { mean + std * normal() }

    /// Fills `buffer` with normal(mean, std) draws.
    public mutating func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>, mean: Float = 0, std: Float = 1) {
        for i in buffer.indices { buffer[i] = mean + std * normal() }
    }

    /// Fills `buffer` with uniform draws in [low, high).
    public mutating func fillUniform(_ buffer: UnsafeMutableBufferPointer<Float>, _ low: Float, _ high: Float) {
        for i in buffer.indices { buffer[i] = uniform(low, high) }
    }

    /// A random permutation of `0..<n` (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) {
                let j = Int(next() % UInt64(i + 1))
                p.swapAt(i, j)
            }
        }
        return p
    }

    /// A uniform integer in `0..<n`.
    public mutating func int(below n: Int) -> Int { Int(next() % UInt64(n)) }
}

import Foundation
@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }
