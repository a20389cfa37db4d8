import ArgumentParser
import Foundation
import SAETrack
import SAETrackMPI
import SAETrackCLIOptions

/// `saetrack-mpi train-sae`: `saetrack train-sae` with the SAE's latents split over the ranks of an
/// MPI job (``ShardedSAETrainer``). The same options (`TrainSAEOptions`; a test compares the two
/// commands' option lists) and, on rank 0, the same output files, plus `mpi_traffic.json`.
struct ShardedTrainSAECommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-sae",
        abstract: "saetrack train-sae as one MPI job: each rank trains a contiguous block of the SAE's latents.",
        discussion: """
            Run as `mpirun -np N saetrack-mpi train-sae <the train-sae options>`. Every rank reads the same \
            activations and draws the same batches; rank r owns latents ⌊r·d_sae/N⌋..<⌊(r+1)·d_sae/N⌋ (W_enc \
            columns, b_enc, W_dec rows and their Adam moments) and per step the ranks exchange the partial \
            reconstructions (B × d_in floats), per-token top-k candidates (topk), the batch's top k·B candidates \
            (batchtopk), a few scalars and the b_dec gradient. Rank 0 writes the same files as `saetrack train-sae` \
            (Docs/Distributed.md) and mpi_traffic.json (bytes each rank sent). Sharded: --architecture standard \
            (ReLU + L1, ghost grads), topk (with AuxK), batchtopk (with AuxK and the running threshold; saved as a \
            JumpReLU SAE) and jumprelu (with gradient clipping); matryoshka, --reg, --rescale-acts-by-decoder-norm and resuming \
            from a trainer_state are refused by name. No resumable state is saved (--save-every only sets how \
            often divergence is checked). Reruns with the same rank count and threads are bit-identical.
            """
    )

    @OptionGroup var options: TrainSAEOptions

    /// `saetrack train-sae`'s files and the traffic report (removed by `--restart`).
    static let outputs = TrainSAEOptions.outputs + ["mpi_traffic.json"]

    /// Starts MPI, runs the job, and on an error on any rank ends the whole job (no rank is left
    /// waiting in a collective): the failing rank prints the error and `mpirun` exits non-zero.
    func run() throws {
        let comm: MPICommunicator
        do { comm = try MPICommunicator.initialize() } catch {
            throw ValidationError("saetrack-mpi could not start MPI: \(error)")
        }
        do {
            try train(comm)
            try comm.finalize()
        } catch {
            let prefix = comm.size > 1 ? "rank \(comm.rank)/\(comm.size): " : ""
            StandardError.writeLine("Error: \(prefix)\(error)")
            comm.abort(code: 1)
        }
    }

    /// Rank 0's decision, on every rank (a collective).
    private func agree(_ flag: Bool, _ comm: MPICommunicator) throws -> Bool {
        var v = [comm.isRoot && flag ? 1.0 : 0.0]
        try comm.allreduceSum(&v, kind: .scalars)
        return v[0] != 0
    }

    private func train(_ comm: MPICommunicator) throws {
        // Rank 0's run log (standard error and `--out`/train_sae.log, as `saetrack train-sae` keeps
        // it, opened once the output directory is claimed); the other ranks print nothing.
        var log = RunLog(echo: { _ in })
        func say(_ s: String, _ comm: MPICommunicator) { if comm.isRoot { log.write(s) } }
        let a = options.architectureOptions
        // Unsharded settings are refused before anything is read or written.
        try ShardingError.check(a.architecture)
        if a.rescaleActsByDecoderNorm {
            throw ShardingError.notSharded(name: "--rescale-acts-by-decoder-norm", detail: "TopK selection on decoder-norm-scaled pre-activations")
        }
        if a.useMatryoshkaAuxLoss {       // a matryoshka option (validate()), so refused above already; named for clarity
            throw ShardingError.notSharded(name: "--use-matryoshka-aux-loss", detail: "Matryoshka's per-level AuxK")
        }
        if options.reg != 0 || options.previous != nil {
            throw ShardingError.notSharded(name: options.reg != 0 ? "--reg" : "--previous", detail: "anchor regularisation toward a previous SAE")
        }
        if let threads = options.threads { Threads.setDefault(threads) }
        let outURL = URL(fileURLWithPath: options.out).standardizedFileURL
        let fm = FileManager.default
        let current = try options.fingerprint()
        // Only rank 0 looks at and writes the output directory.
        var nothingToDo = false
        if comm.isRoot {
            try OutputDirectory.removeInterruptedWrites(in: outURL)
            if options.resume.restart {
                for name in Self.outputs { try? fm.removeItem(at: outURL.appendingPathComponent(name)) }
            }
            let stateDir = outURL.appendingPathComponent("trainer_state")
            if fm.fileExists(atPath: stateDir.path) {
                throw ShardingError.notSharded(
                    name: "resuming \(stateDir.path)",
                    detail: "a sharded run saves no trainer state; pass --restart to train afresh, or resume with `saetrack train-sae`")
            }
            let hasWork = fm.fileExists(atPath: outURL.appendingPathComponent("sae_weights.safetensors").path)
            let accepted = hasWork ? try options.resume.check(current, in: outURL, command: "train-sae") : []
            let finished = fm.fileExists(atPath: outURL.appendingPathComponent("training_config.json").path) && hasWork
            if try finished && accepted.isEmpty && RunFingerprint.read(from: outURL) != nil {
                print("train-sae: \(outURL.path) already holds this run, finished (same inputs and settings); nothing to do. Pass --restart to train again.")
                nothingToDo = true
            } else {
                try OutputDirectory.requireWritable(outURL)
                try current.write(to: outURL)
                log = try RunLog(appendingTo: outURL.appendingPathComponent(TrainSAEOptions.logFile))
                log.write("train-sae: " + CommandLine.arguments.dropFirst().joined(separator: " ") + " (\(comm.size) MPI ranks)")
                for c in accepted { log.write("warning: continuing with a changed input: \(c)") }
            }
        }
        if try agree(nothingToDo, comm) { return }

        // Activations: every rank builds the same source and so draws the same batches; rank 0
        // evaluates, and writes a new cache while the others wait for it.
        let data = try options.trainingData(evaluates: comm.isRoot, writesCache: comm.isRoot, cacheWritten: { try comm.barrier() },
                                            say: { say($0, comm) })
        let (source, dataTokens) = (data.source, data.dataTokens)

        // Config: the stage column, then the flags (as `saetrack train-sae`).
        let dIn = source.dIn
        let config = try options.trainingConfig(dIn: dIn)
        let d = config.dSAE
        try ShardingError.check(config)     // before any work: unsharded settings refused by name

        let initialSAE = try options.initial.map { try SparseAutoencoder.load(from: URL(fileURLWithPath: $0)) }
        let trainer = try ShardedSAETrainer(config: config, initial: initialSAE, source: source, communicator: comm)
        comm.resetTraffic()
        let total = trainer.config.steps
        let started = Date()
        let cpuStarted = Self.cpuSeconds()
        say("train-sae: \(trainer.config.architecture.rawValue) SAE d_in \(dIn) d_sae \(d), \(total) steps × \(options.batchSize) tokens, "
            + "\(comm.size) ranks × \(Threads.count) threads, shard of rank 0: \(trainer.shard.count) latents", comm)
        say("cost: " + CostEstimate.line(steps: total, batchSize: trainer.config.batchSize, dataTokens: dataTokens), comm)
        let env = ProcessInfo.processInfo.environment
        let killAtStep = env["SAETRACK_FAULT_KILL_AT_STEP"].flatMap { Int($0) }
        let killRank = env["SAETRACK_MPI_FAULT_RANK"].flatMap { Int($0) } ?? 0
        let every = max(1, trainer.config.saveEvery > 0 ? trainer.config.saveEvery : total)
        var estimated = false
        repeat {
            let logged = trainer.log.count
            let next = min(total, (trainer.step / every + 1) * every)
            let probeEnd = estimated ? next : min(next, trainer.step + 3)
            try trainer.train(untilStep: probeEnd) { e in
                let done = Double(e.step), left = Double(total - e.step)
                let eta = done > 0 ? Date().timeIntervalSince(started) / done * left : 0
                say(String(format: "step %d/%d  loss %.5g  mse %.4g  L0 %.1f  EV %.3f  dead %d  %.0f tok/s  ETA %@",
                           e.step, total, e.terms.loss, e.terms.mse, e.terms.l0, e.terms.explainedVariance,
                           e.deadFeatures, e.tokensPerSecond, ProgressClock.format(eta)), comm)
                // Fault injection for the tests: SIGKILL one rank once this step is logged.
                if let killAtStep, e.step >= killAtStep, comm.rank == killRank { kill(getpid(), SIGKILL) }
            }
            if !estimated {
                estimated = true
                let perStep = Date().timeIntervalSince(started) / Double(max(1, trainer.step))
                say("estimate: " + CostEstimate.duration(perStep * Double(total))
                    + String(format: " (%.3g s per step, measured over the first %d)", perStep, trainer.step), comm)
            }
            // The log is the same on every rank, so every rank stops together.
            if let problem = TrainingDivergence.problem(in: trainer.log[logged...], reference: trainer.log.first?.terms.loss) {
                throw TrainingDivergedError(run: "train-sae \(outURL.path)", step: problem.step, reason: problem.reason, keptState: nil)
            }
        } while trainer.step < total
        let seconds = Date().timeIntervalSince(started), cpu = Self.cpuSeconds() - cpuStarted
        let traffic = trainer.communicator.traffic
        let gathered = try trainer.gatherResult()
        let perRank = try Self.gatherTraffic(traffic, seconds: seconds, cpu: cpu, comm: comm)
        guard let result = gathered, let perRank else { return }      // ranks > 0 are done

        if let problem = TrainingDivergence.problem(in: result.sae) {
            throw TrainingDivergedError(run: "train-sae \(outURL.path)", step: trainer.step, reason: problem, keptState: nil)
        }
        try options.writeOutputs(result, config: trainer.config, data: data, fingerprint: current, to: outURL)
        let report = MPITrafficReport(ranks: comm.size, steps: result.steps, batchSize: trainer.config.batchSize, dIn: dIn,
                                      dSAE: d, k: trainer.config.architecture.usesK ? trainer.config.k : 0, perRank: perRank)
        try JSONFile.write(report, to: outURL.appendingPathComponent("mpi_traffic.json"))
        log.write(report.summary)
        log.record("train-sae: finished; SAE written to \(outURL.path)")
    }

    /// Every rank's byte counts and timings on rank 0 (nil elsewhere).
    static func gatherTraffic(_ t: MPITraffic, seconds: Double, cpu: Double, comm: MPICommunicator) throws -> [MPITrafficReport.Rank]? {
        let kinds = MPITrafficKind.allCases
        let mine = kinds.map { Double(t.bytes[$0] ?? 0) } + [Double(t.messages), seconds, cpu, t.seconds]
        let width = mine.count
        guard let all = try comm.gatherToRoot(mine, counts: [Int](repeating: width, count: comm.size), kind: .scalars) else { return nil }
        return (0..<comm.size).map { r in
            let row = Array(all[(r * width)..<((r + 1) * width)])
            var bytes: [String: Int] = [:]
            for (i, k) in kinds.enumerated() where k != .gather { bytes[k.rawValue] = Int(row[i]) }
            return MPITrafficReport.Rank(rank: r, bytes: bytes, messages: Int(row[kinds.count]),
                                         seconds: row[kinds.count + 1], cpuSeconds: row[kinds.count + 2],
                                         mpiSeconds: row[kinds.count + 3])
        }
    }

    /// CPU time of this process so far (user + system, all threads).
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

}
