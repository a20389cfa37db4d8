#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock and CPU-time measurement (the same clocks the C baselines use).
///
/// Wall time (`CLOCK_MONOTONIC`) is what a user waits for. Process CPU time
/// (`CLOCK_PROCESS_CPUTIME_ID`, summed over the process's threads) only advances while those
/// threads hold a core, so on a machine shared with other work it still shows what the code
/// itself achieves.
public struct Stopwatch: Sendable {
    /// Wall and CPU seconds of one measured span.
    public struct Span: Sendable {
        public var wallSeconds: Double
        public var cpuSeconds: Double

        public init(wallSeconds: Double, cpuSeconds: Double) {
            self.wallSeconds = wallSeconds
            self.cpuSeconds = cpuSeconds
        }
    }

    private let wall0: Double
    private let cpu0: Double

    /// Starts timing now.
    public init() {
        cpu0 = Stopwatch.cpuNow()
        wall0 = Stopwatch.now()
    }

    /// Wall-clock seconds since ``init()``.
    public var elapsedSeconds: Double { Stopwatch.now() - wall0 }

    /// Wall and process CPU seconds since ``init()``.
    public var elapsed: Span {
        let wall = Stopwatch.now() - wall0
        return Span(wallSeconds: wall, cpuSeconds: Stopwatch.cpuNow() - cpu0)
    }

    /// Seconds on `CLOCK_MONOTONIC` (an arbitrary origin: use differences only).
    public static func now() -> Double { read(CLOCK_MONOTONIC) }

    /// CPU seconds consumed by this process so far, over all its threads.
    public static func cpuNow() -> Double { read(CLOCK_PROCESS_CPUTIME_ID) }

    /// Runs `body` and returns the wall-clock seconds it took.
    public static func time(_ body: () throws -> Void) rethrows -> Double {
        let watch = Stopwatch()
        try body()
        return watch.elapsedSeconds
    }

    /// Runs `body` and returns the wall and CPU seconds it took.
    public static func measure(_ body: () throws -> Void) rethrows -> Span {
        let watch = Stopwatch()
        try body()
        return watch.elapsed
    }

    private static func read(_ clock: clockid_t) -> Double {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Double(ts.tv_sec) + 1e-9 * Double(ts.tv_nsec)
    }
}
