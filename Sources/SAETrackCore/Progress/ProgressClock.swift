import Foundation

/// The clock of a long run: how far it is, how fast it goes and when it will end.
///
///     let clock = ProgressClock(total: 1_000, startingAt: resumedStep)
///     …
///     line += "ETA " + ProgressClock.format(clock.secondsLeft(at: step))
///
/// The rate is measured from the start of this process's work (`startingAt`), so a resumed run's
/// ETA is not inflated by the steps it did not do.
public struct ProgressClock: Sendable {
    /// When counting started.
    public let started: Date
    /// The count at which the run ends.
    public let total: Double
    /// The count when this clock was started (a resumed run's first step).
    public let start: Double

    public init(total: Double, startingAt start: Double = 0, started: Date = Date()) {
        self.total = total
        self.start = start
        self.started = started
    }

    /// Units per second since the start (0 before any time has passed).
    public func rate(at value: Double, now: Date = Date()) -> Double {
        let elapsed = now.timeIntervalSince(started)
        return elapsed > 0 ? (value - start) / elapsed : 0
    }

    /// Estimated seconds left at `value` (0 before any progress was made).
    public func secondsLeft(at value: Double, now: Date = Date()) -> Double {
        let done = value - start
        return done > 0 ? now.timeIntervalSince(started) / done * max(0, total - value) : 0
    }

    /// `m:ss`, or `h:mm:ss` from an hour on; negative or non-finite seconds read as 0.
    public static func format(_ seconds: Double) -> String {
        let s = seconds.isFinite ? max(0, Int(seconds.rounded())) : 0
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                         : String(format: "%d:%02d", s / 60, s % 60)
    }
}

/// Where progress lines go: standard error, as whole lines, or redrawn in place on a terminal.
public enum StandardError {
    /// Whether standard error is a terminal (checked once).
    public static let isTerminal: Bool = isatty(STDERR_FILENO) != 0

    /// Writes `line` and a newline.
    public static func writeLine(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Redraws `line` in place on a terminal (`\r`, the line, clear to its end); elsewhere writes it
    /// as a line of its own, so logs get plain lines.
    public static func redraw(_ line: String) {
        if isTerminal {
            FileHandle.standardError.write(Data(("\r" + line + "\u{1B}[K").utf8))
        } else {
            writeLine(line)
        }
    }

    /// Ends a run of ``redraw(_:)`` lines (a newline on a terminal; nothing elsewhere).
    public static func endRedraw() {
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// A progress line redrawn on standard error: at most every `terminalInterval` seconds in place on
/// a terminal, and as a plain line at most every `plainInterval` seconds elsewhere (a log file
/// gets a readable record instead of a line per update). A forced line always shows. With a
/// ``RunLog`` that has a file, the file gets a plain line at most every `plainInterval` seconds
/// (and every forced one), whatever standard error is.
public final class ProgressPrinter: @unchecked Sendable {
    private let interval: TimeInterval, fileInterval: TimeInterval
    private let log: RunLog
    private var last = Date.distantPast, lastRecorded = Date.distantPast
    private var shown = false

    public init(terminalInterval: TimeInterval = 0.25, plainInterval: TimeInterval = 10, log: RunLog = .standardError) {
        interval = StandardError.isTerminal ? terminalInterval : plainInterval
        fileInterval = plainInterval
        self.log = log
    }

    /// Shows `line` if the interval has passed since the last one shown, or when `force`d.
    public func show(_ line: @autoclosure () -> String, force: Bool = false) {
        let now = Date()
        let toScreen = force || now.timeIntervalSince(last) >= interval
        let toFile = log.file != nil && (force || now.timeIntervalSince(lastRecorded) >= fileInterval)
        guard toScreen || toFile else { return }
        let text = line()
        if toScreen {
            last = now
            shown = true
            StandardError.redraw(text)
        }
        if toFile {
            lastRecorded = now
            log.record(text)
        }
    }

    /// Ends the line (after the last ``show(_:force:)``).
    public func finish() {
        if shown { StandardError.endRedraw() }
    }
}
