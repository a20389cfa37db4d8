import Foundation

extension BLASKernel {
    /// Which kernel family runs in this process, who chose it, and what SAETrack would choose:
    /// what `saetrack bench gemm` and `saetrack inspect --system` print.
    public struct Status: Sendable, Codable, Equatable, CustomStringConvertible {
        /// Who decided the running family.
        public enum Source: String, Sendable, Codable {
            /// OpenBLAS's own detection (nothing better, or nobody asked SAETrack to re-execute).
            case openBLAS = "openblas"
            /// SAETrack re-executed the program with `OPENBLAS_CORETYPE` set.
            case saetrack
            /// `OPENBLAS_CORETYPE` was set before the program started; it always wins.
            case environment
            /// `SAETRACK_BLAS_KERNEL=default` keeps OpenBLAS's own choice.
            case optedOut = "opted_out"
        }

        /// The family running, as OpenBLAS names it.
        public var running: String
        public var source: Source
        /// OpenBLAS's own choice, when SAETrack replaced it.
        public var openBLASChoice: String?
        /// The family SAETrack prefers on this CPU (nil: the CPU could not be read).
        public var preferred: String?
        /// The CPU, in one line (``CPUInfo/summary``).
        public var cpu: String?
        /// Why this family runs, in a sentence.
        public var reason: String

        enum CodingKeys: String, CodingKey {
            case running, source, preferred, cpu, reason
            case openBLASChoice = "openblas_choice"
        }

        public var description: String {
            var line = "BLAS kernel: \(running)"
            if let openBLASChoice { line += " (OpenBLAS chose \(openBLASChoice))" }
            if let cpu { line += " on \(cpu)" }
            return line + ". " + reason
        }
    }

    /// This process's ``Status``.
    public static var status: Status {
        let env = ProcessInfo.processInfo.environment
        return status(running: current, cpu: decisionCPU(environment: env), environment: env)
    }

    /// The status for a process that runs `running` on `cpu` with environment `env`.
    static func status(running: String, cpu: CPUInfo?, environment env: [String: String]) -> Status {
        let preferred = cpu.flatMap { preferredFamily(for: $0, running: running) }
        let runningFamily = Family(openBLASName: running)
        let differs = preferred != nil && preferred != runningFamily
        var status = Status(running: runningFamily?.rawValue ?? running, source: .openBLAS, openBLASChoice: nil,
                            preferred: preferred?.rawValue, cpu: cpu?.summary, reason: "")
        let forced = env["OPENBLAS_CORETYPE"]
        if let forced, forced == env[chosenVariable] {
            status.source = .saetrack
            status.openBLASChoice = env[originalVariable]
            status.reason = "SAETrack chose it: " + (cpu.flatMap { cpu in
                env[originalVariable].flatMap { choice(for: cpu, current: $0)?.reason }
            } ?? "the CPU supports it and OpenBLAS's own choice was weaker") + "."
        } else if let forced {
            status.source = .environment
            status.reason = "OPENBLAS_CORETYPE=\(forced) is set and always wins"
                + (differs ? "; SAETrack would choose \(preferred!) on this CPU (faster GEMMs): unset it to let SAETrack choose." : ".")
        } else if env["SAETRACK_BLAS_KERNEL"]?.lowercased() == "default" {
            status.source = .optedOut
            status.reason = "SAETRACK_BLAS_KERNEL=default keeps OpenBLAS's own choice"
                + (differs ? "; SAETrack would choose \(preferred!)." : ".")
        } else if let cpu, let choice = choice(for: cpu, current: running) {
            status.reason = "OpenBLAS's own choice; SAETrack prefers \(choice.family) (\(choice.reason)): "
                + "call BLASKernel.reexecutingWithFasterKernelIfNeeded() first thing in main."
        } else if cpu == nil {
            status.reason = "OpenBLAS's own choice (no /proc/cpuinfo to decide from)."
        } else if runningFamily == nil {
            status.reason = "OpenBLAS's own choice, a family newer than SAETrack's table, kept as it is."
        } else {
            status.reason = "OpenBLAS's own choice, the strongest family this CPU supports."
        }
        return status
    }

    /// The family SAETrack wants on `cpu`: its ``choice(for:current:)`` when it has one, else the
    /// running family when that is as strong as the CPU's best, else the best.
    static func preferredFamily(for cpu: CPUInfo, running: String) -> Family? {
        if let choice = choice(for: cpu, current: running) { return choice.family }
        guard let best = preferredFamilies(for: cpu).first else { return nil }
        if let now = Family(openBLASName: running), now.vectorClass.gemmTier >= best.vectorClass.gemmTier { return now }
        return best
    }
}
