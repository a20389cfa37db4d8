#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock timing on the monotonic clock (the same clock the C baselines use).
public struct Stopwatch: Sendable {
    private let start: Double

    /// Starts timing now.
    public init() { start = Stopwatch.now() }

    /// Seconds since ``init()``.
    public var elapsedSeconds: Double { Stopwatch.now() - start }

    /// Seconds on `CLOCK_MONOTONIC` (an arbitrary origin: use differences only).
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + 1e-9 * Double(ts.tv_nsec)
    }

    /// Runs `body` and returns the seconds it took.
    public static func time(_ body: () throws -> Void) rethrows -> Double {
        let watch = Stopwatch()
        try body()
        return watch.elapsedSeconds
    }
}
