import Foundation
import Testing
import SAETrack

/// `mpirun -np 2|3 saetrack-mpi train-sae` against the single-process `saetrack train-sae` on the
/// same activations, seed and flags: the latent-sharded trainer must give the same SAE (to float
/// rounding: the ranks' partial reconstructions are added in another order), reruns at one rank
/// count must be bit-identical, and failures must end the whole job with a clear error.
@Suite("saetrack-mpi train-sae", .serialized, .enabled(if: MPIRunner.enabled, "mpirun not found (install Open MPI, or set SAETRACK_REQUIRE_MPI=1 to fail instead of skipping)"))
struct ShardedTrainSAETests {
    let dir: URL
    let activations: URL

    init() throws {
        _ = try #require(MPIRunner.mpirun, "\(MPIRunner.MPIMissing())")
        try #require(FileManager.default.isExecutableFile(atPath: MPIRunner.saetrackMPI.path),
                     "build every product first (make test does): \(MPIRunner.saetrackMPI.path)")
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("saetrack-mpi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // 4096 tokens × 32 dims: sparse non-negative codes over 200 random directions, plus noise.
        var rng = SeededRandom(seed: 19)
        var directions = Matrix(rows: 200, cols: 32)
        directions.withUnsafeMutableBufferPointer { rng.fillNormal($0, mean: 0, std: 1) }
        var codes = Matrix(rows: 4096, cols: 200)
        var u = [Float](repeating: 0, count: 4096 * 200)
        u.withUnsafeMutableBufferPointer { rng.fillUniform($0, 0, 1) }
        codes.withUnsafeMutableBufferPointer { c in for t in c.indices where u[t] < 0.03 { c[t] = 1 + 10 * (u[t] - 0.015) } }
        var acts = BLAS.matmul(codes, directions)
        var noise = Matrix(rows: 4096, cols: 32)
        noise.withUnsafeMutableBufferPointer { rng.fillNormal($0, mean: 0, std: 0.1) }
        acts.withUnsafeMutableBufferPointer { a in noise.withUnsafeBufferPointer { n in for t in a.indices { a[t] += n[t] } } }
        activations = dir.appendingPathComponent("acts.safetensors")
        try SafetensorsWriter.write(["activations": TensorData(acts)], to: activations)
    }

    /// d_sae 100: shards of 50/50 on 2 ranks, ragged 33/33/34 on 3.
    func common(_ extra: [String] = []) -> [String] {
        ["train-sae", "--activations", activations.path, "--d-sae", "100", "--steps", "30", "--batch-size", "128",
         "--warmup", "5", "--log-every", "5", "--buffer-tokens", "1024", "--threads", "1"] + extra
    }

    func single(_ args: [String], _ name: String) throws -> URL {
        let out = dir.appendingPathComponent(name)
        let r = try MPIRunner.run(MPIRunner.saetrack, args + ["--out", out.path])
        try #require(r.status == 0, "saetrack train-sae failed: \(r.stderr)")
        return out
    }

    func sharded(_ ranks: Int, _ args: [String], _ name: String) throws -> URL {
        let out = dir.appendingPathComponent(name)
        let r = try MPIRunner.mpi(ranks, args + ["--out", out.path])
        try #require(!r.timedOut && r.status == 0, "mpirun -np \(ranks) saetrack-mpi failed: \(r.stderr)")
        return out
    }

    func expectClose(_ a: URL, _ b: URL, tolerance: Double, _ what: String, threshold: Bool = false) throws {
        for (name, rel) in try MPIRunner.relativeDifferences(a, b, threshold: threshold).sorted(by: { $0.key < $1.key }) {
            #expect(rel <= tolerance, "\(what): \(name) differs by \(rel) relative")
        }
    }

    @Test("ReLU + L1 (SAE-Track loss): 2 and 3 ranks agree with one process to 1e-5; the same files; 3-rank reruns bit-identical")
    func standardMatchesSingleProcess() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let one = try single(common(), "single")
        let two = try sharded(2, common(), "np2")
        let three = try sharded(3, common(), "np3")
        try expectClose(one, two, tolerance: 1e-5, "np 2")
        try expectClose(one, three, tolerance: 1e-5, "np 3")
        let again = try sharded(3, common(), "np3-again")
        #expect(try MPIRunner.relativeDifferences(three, again).values.allSatisfy { $0 == 0 }, "3-rank rerun not bit-identical")
        // The same output files as the single process (plus the traffic report), readable as an SAE.
        let files = { (u: URL) in Set(try FileManager.default.contentsOfDirectory(atPath: u.path)) }
        #expect(try files(three) == files(one).union(["mpi_traffic.json"]))
        #expect(try SAEDirectory.readConfig(three) == SAEDirectory.readConfig(one))
        // The logged losses of every step agree too.
        let logA = try JSONDecoder().decode([SAETrainingLogEntry].self, from: Data(contentsOf: one.appendingPathComponent("training_log.json")))
        let logB = try JSONDecoder().decode([SAETrainingLogEntry].self, from: Data(contentsOf: three.appendingPathComponent("training_log.json")))
        #expect(logA.map(\.step) == logB.map(\.step))
        for (a, b) in zip(logA, logB) {
            #expect(abs(a.terms.loss - b.terms.loss) <= 1e-5 * abs(a.terms.loss), "step \(a.step) loss \(a.terms.loss) vs \(b.terms.loss)")
            #expect(a.terms.l0 == b.terms.l0, "step \(a.step) L0")
        }
    }

    @Test("TopK (global top-k from per-token candidates): 2 and 3 ranks agree with one process to 1e-5; reruns bit-identical")
    func topKMatchesSingleProcess() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let args = common(["--architecture", "topk", "--k", "8"])
        let one = try single(args, "single")
        let two = try sharded(2, args, "np2")
        let three = try sharded(3, args, "np3")
        try expectClose(one, two, tolerance: 1e-5, "np 2")
        try expectClose(one, three, tolerance: 1e-5, "np 3")
        let again = try sharded(2, args, "np2-again")
        #expect(try MPIRunner.relativeDifferences(two, again).values.allSatisfy { $0 == 0 }, "2-rank rerun not bit-identical")
        #expect(try SAEDirectory.readConfig(three) == SAEDirectory.readConfig(one))
    }

    @Test("BatchTopK (global k·B cut over the shards' candidates, running threshold): 2 and 3 ranks agree with one process; reruns bit-identical; bytes per step")
    func batchTopKMatchesSingleProcess() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let args = common(["--architecture", "batchtopk", "--k", "8"])
        let one = try single(args, "single")
        let two = try sharded(2, args, "np2")
        let three = try sharded(3, args, "np3")
        // The saved SAE is SAELens's JumpReLU inference SAE at the running threshold: compared too.
        try expectClose(one, two, tolerance: 1e-5, "np 2", threshold: true)
        try expectClose(one, three, tolerance: 1e-5, "np 3", threshold: true)
        #expect(try SAEDirectory.read(three).tensors["threshold"]!.storage.allSatisfy { $0 > 0 }, "the running threshold never moved")
        let again = try sharded(3, args, "np3-again")
        #expect(try MPIRunner.relativeDifferences(three, again, threshold: true).values.allSatisfy { $0 == 0 }, "3-rank rerun not bit-identical")
        let files = { (u: URL) in Set(try FileManager.default.contentsOfDirectory(atPath: u.path)) }
        #expect(try files(three) == files(one).union(["mpi_traffic.json"]))
        #expect(try SAEDirectory.readConfig(three) == SAEDirectory.readConfig(one))
        let logA = try JSONDecoder().decode([SAETrainingLogEntry].self, from: Data(contentsOf: one.appendingPathComponent("training_log.json")))
        let logB = try JSONDecoder().decode([SAETrainingLogEntry].self, from: Data(contentsOf: three.appendingPathComponent("training_log.json")))
        #expect(logA.map(\.step) == logB.map(\.step))
        for (a, b) in zip(logA, logB) {
            #expect(abs(a.terms.loss - b.terms.loss) <= 1e-5 * abs(a.terms.loss), "step \(a.step) loss \(a.terms.loss) vs \(b.terms.loss)")
            #expect(a.terms.l0 == b.terms.l0, "step \(a.step) L0")
        }
        // Bytes: the (B, d) ring all-reduce plus (n − 1) ring rounds of each rank's k·B 12-byte candidate slots.
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: three.appendingPathComponent("mpi_traffic.json"))) as! [String: Any]
        #expect(json["k"] as? Int == 8)
        let (b, d, k, n, steps) = (128.0, 32.0, 8.0, 3.0, 30.0)
        for r in json["per_rank"] as! [[String: Any]] {
            let bytes = r["bytes"] as! [String: Int]
            #expect(abs(Double(bytes["reconstruction"]!) / steps - 2 * (n - 1) / n * b * d * 4) <= 2 * (n - 1) * 4)
            #expect(Double(bytes["batchtopk_candidates"]!) / steps == (n - 1) * k * b * 12)
            #expect(bytes["topk_candidates"] ?? 0 == 0)
        }

        // Dead latents (k 2 at a high rate, a 2-step window): AuxK over the shards' dead candidates.
        let aux = ["train-sae", "--activations", activations.path, "--d-sae", "100", "--steps", "40", "--batch-size", "128",
                   "--warmup", "5", "--log-every", "1", "--buffer-tokens", "1024", "--threads", "1", "--dead-window", "2",
                   "--architecture", "batchtopk", "--k", "2", "--lr", "0.01"]
        let auxOne = try single(aux, "aux-single")
        let auxThree = try sharded(3, aux, "aux-np3")
        let auxLog = try JSONDecoder().decode([SAETrainingLogEntry].self, from: Data(contentsOf: auxOne.appendingPathComponent("training_log.json")))
        #expect(auxLog.contains { $0.terms.auxK > 0 }, "the AuxK loss never came into play")
        try expectClose(auxOne, auxThree, tolerance: 1e-5, "AuxK np 3", threshold: true)
    }

    @Test("JumpReLU (local thresholds, sharded gradient clipping): 2 and 3 ranks agree with one process to 1e-5; reruns bit-identical")
    func jumpReLUMatchesSingleProcess() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        // auto resolves to --clip-grad-norm 1 for jumprelu; tanh with the pre-activation loss also exercises
        // the per-latent sparsity gradients and dead latents; a small max norm makes clipping bite.
        for extra in [["--l0-coefficient", "0.05"],
                      ["--jumprelu-sparsity", "tanh", "--pre-act-loss-coefficient", "0.1", "--dead-window", "2",
                       "--clip-grad-norm", "0.05"],
                      ["--jumprelu-sparsity", "quadratic", "--target-l0", "5", "--l0-coefficient", "0.01"]] {
            // 4 steps, not 30: JumpReLU's gate and straight-through window are discontinuous, so a
            // pre-activation that lands within rounding of θ or of a window edge (the shards sum the
            // reconstruction in another order than one process) changes a code or a θ gradient by a
            // finite amount; the longer the run, the likelier that is under some BLAS kernel.
            let args = common(["--architecture", "jumprelu", "--lr", "0.003"] + extra).map { $0 == "30" ? "4" : $0 }
            let name = extra.joined(separator: "_")
            let one = try single(args, "single" + name)
            let two = try sharded(2, args, "np2" + name)
            let three = try sharded(3, args, "np3" + name)
            try expectClose(one, two, tolerance: 1e-5, "np 2 \(extra)")
            try expectClose(one, three, tolerance: 1e-5, "np 3 \(extra)")
            let again = try sharded(3, args, "np3-again" + name)
            #expect(try MPIRunner.relativeDifferences(three, again).values.allSatisfy { $0 == 0 }, "3-rank rerun not bit-identical \(extra)")
            let logA = try JSONDecoder().decode([SAETrainingLogEntry].self, from: Data(contentsOf: one.appendingPathComponent("training_log.json")))
            let logB = try JSONDecoder().decode([SAETrainingLogEntry].self, from: Data(contentsOf: three.appendingPathComponent("training_log.json")))
            for (a, b) in zip(logA, logB) {
                #expect(abs(a.terms.loss - b.terms.loss) <= 1e-5 * abs(a.terms.loss), "step \(a.step) loss \(a.terms.loss) vs \(b.terms.loss) \(extra)")
            }
            #expect(try SAEDirectory.readConfig(three) == SAEDirectory.readConfig(one))
        }
    }

    @Test("dead latents: TopK's AuxK and ReLU's ghost grads over shards follow the single process")
    func deadLatentLosses() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        // TopK k 2 at a high rate: latents die within the 2-step window from step ~10 on.
        let aux = ["train-sae", "--activations", activations.path, "--d-sae", "100", "--steps", "40", "--batch-size", "128",
                   "--warmup", "5", "--log-every", "1", "--buffer-tokens", "1024", "--threads", "1", "--dead-window", "2",
                   "--architecture", "topk", "--k", "2", "--lr", "0.01"]
        let one = try single(aux, "aux-single")
        let three = try sharded(3, aux, "aux-np3")
        let log = try JSONDecoder().decode([SAETrainingLogEntry].self, from: Data(contentsOf: one.appendingPathComponent("training_log.json")))
        #expect(log.contains { $0.terms.auxK > 0 }, "the AuxK loss never came into play")
        try expectClose(one, three, tolerance: 1e-5, "AuxK np 3")

        // ReLU with a strong L1 at a high rate: a few latents die late in the run and get ghost grads.
        let ghost = ["train-sae", "--activations", activations.path, "--d-sae", "100", "--steps", "40", "--batch-size", "128",
                     "--warmup", "1", "--log-every", "1", "--buffer-tokens", "1024", "--threads", "1", "--dead-window", "2",
                     "--l1", "30", "--lr", "0.05"]
        let g1 = try single(ghost, "ghost-single")
        let g3 = try sharded(3, ghost, "ghost-np3")
        let logA = try JSONDecoder().decode([SAETrainingLogEntry].self, from: Data(contentsOf: g1.appendingPathComponent("training_log.json")))
        let logB = try JSONDecoder().decode([SAETrainingLogEntry].self, from: Data(contentsOf: g3.appendingPathComponent("training_log.json")))
        #expect(logA.contains { $0.terms.ghost > 0 }, "ghost grads never came into play")
        // Per step, the ghost term of the same batch and parameters agrees (this regime is chaotic:
        // Adam turns rounding-level gradients of newly dead rows into full-size steps, so later
        // steps drift apart at 1e-4; the comparison stops where both runs saw the same dead set).
        var compared = 0
        for (a, b) in zip(logA, logB) where a.deadFeatures == b.deadFeatures {
            guard a.terms.ghost > 0 else { continue }
            #expect(abs(a.terms.ghost - b.terms.ghost) <= 1e-3 * a.terms.ghost, "step \(a.step) ghost \(a.terms.ghost) vs \(b.terms.ghost)")
            compared += 1
        }
        #expect(compared > 0)
        if let first = logA.firstIndex(where: { $0.terms.ghost > 0 }) {
            #expect(abs(logA[first].terms.ghost - logB[first].terms.ghost) <= 1e-5 * logA[first].terms.ghost,
                    "the first ghost step \(logA[first].step): \(logA[first].terms.ghost) vs \(logB[first].terms.ghost)")
        }
    }

    @Test("bytes sent per step and rank: the (B, d) ring all-reduce, 2·(n−1)/n·B·d floats, plus O(k·B) for TopK")
    func trafficMatchesDesign() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = try sharded(3, common(["--architecture", "topk", "--k", "8"]), "np3")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("mpi_traffic.json"))) as! [String: Any]
        let ranks = json["per_rank"] as! [[String: Any]]
        #expect(ranks.count == 3)
        let (b, d, k, n, steps) = (128.0, 32.0, 8.0, 3.0, 30.0)
        for r in ranks {
            let bytes = r["bytes"] as! [String: Int]
            let reconstruction = Double(bytes["reconstruction"]!) / steps
            #expect(abs(reconstruction - 2 * (n - 1) / n * b * d * 4) <= 2 * (n - 1) * 4, "reconstruction \(reconstruction) B/step")
            // (n − 1) ring rounds of each rank's k (value, id) pairs per token.
            #expect(Double(bytes["topk_candidates"]!) / steps == (n - 1) * b * k * 8)
            #expect(Double(bytes["b_dec_gradient"]!) / steps <= 2 * d * 4)
        }
    }

    @Test("a rank killed mid-run, a missing input and an unsharded option end the job with an error, not a hang")
    func failuresEndTheJob() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let killed = dir.appendingPathComponent("killed")
        let r = try MPIRunner.mpi(3, common(["--steps", "400", "--log-every", "1", "--out", killed.path]),
                                  environment: ["SAETRACK_FAULT_KILL_AT_STEP": "5", "SAETRACK_MPI_FAULT_RANK": "1"], timeout: 90)
        #expect(!r.timedOut, "the job hung after a rank was killed")
        #expect(r.status != 0)
        #expect(!FileManager.default.fileExists(atPath: killed.appendingPathComponent("sae_weights.safetensors").path))

        let missing = dir.appendingPathComponent("nowhere.safetensors").path
        let m = try MPIRunner.mpi(2, ["train-sae", "--activations", missing, "--steps", "3", "--out", dir.appendingPathComponent("m").path],
                                  timeout: 60)
        #expect(!m.timedOut && m.status != 0)
        #expect(m.stderr.contains("nowhere.safetensors"), "\(m.stderr)")

        let j = try MPIRunner.mpi(2, common(["--architecture", "matryoshka", "--matryoshka-widths", "20,100",
                                             "--out", dir.appendingPathComponent("j").path]), timeout: 60)
        #expect(!j.timedOut && j.status != 0)
        #expect(j.stderr.contains("--architecture matryoshka is not supported by the latent-sharded trainer"), "\(j.stderr)")
        #expect(j.stderr.contains("sharded architectures: standard, topk, batchtopk, jumprelu"), "\(j.stderr)")
    }

    @Test("saetrack-mpi train-sae takes exactly the options of saetrack train-sae")
    func sameOptions() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        func names(_ exe: URL) throws -> [String] {
            let r = try MPIRunner.run(exe, ["train-sae", "--experimental-dump-help"], timeout: 60)
            let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            let args = (json["command"] as! [String: Any])["arguments"] as! [[String: Any]]
            return args.flatMap { ($0["names"] as? [[String: Any]] ?? []).map { "\($0["kind"]!) \($0["name"]!)" } }.sorted()
        }
        #expect(try names(MPIRunner.saetrackMPI) == names(MPIRunner.saetrack))
    }
}
