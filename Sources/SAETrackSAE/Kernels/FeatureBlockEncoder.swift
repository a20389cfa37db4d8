import SAETrackCore

/// The encoder forward without a (B, d_sae) pre-activation buffer, for every activation.
///
/// Each thread takes a block of batch rows and walks the features in blocks of
/// ``SparseEncoder/featureBlock``: one single-threaded GEMM `(rows, d_in)·W_encᵀ[block]` into a
/// per-thread scratch that stays in the last-level cache, then, while it is there, 16 lanes at a
/// time, the selection:
/// - ReLU / JumpReLU: the entries above the gate (0, or max(θ_i, 0));
/// - TopK: a ``TopKRows`` selection per row carried across the feature blocks: only values above
///   the row's running threshold are buffered, so after the first block almost nothing is;
/// - BatchTopK: the worker's ``BatchTopKSelection/Candidates`` above its running cutoff;
/// and the extras read from the same block: JumpReLU's straight-through window and, per row, the
/// AuxK heap over the dead features of the block.
///
/// Every selection sees each row's features in increasing order, as the chunked path does, and does
/// exactly the same float operations on the same pre-activations, so the codes are the same.
extension SparseEncoder {
    /// What the feature-block pass selects.
    enum BlockSelection {
        /// Entries with pre > gate (nil: 0; else a d_sae vector of gates).
        case gate([Float]?)
        /// Per row the k largest, kept if positive.
        case topK(Int)
        /// The batch's `total` largest positive entries.
        case batchTopK(Int)
    }

    /// The feature-block encoder (``SparseEncoder`` documents the outputs).
    /// - Parameters:
    ///   - theta: JumpReLU's θ (d_sae) for the straight-through window, or empty for none
    ///   - deadFeatures / auxK: per row the `auxK` largest pre-activations among `deadFeatures` (0: none)
    static func encodeInCache(saeIn: Matrix, wEncT: Matrix, bEnc: [Float], selection: BlockSelection,
                              theta: [Float] = [], bandwidth: Float = 0, deadFeatures: [Int32] = [], auxK: Int = 0,
                              workspace: SAEStepWorkspace? = nil) -> Output {
        let (b, d, m) = (saeIn.rows, saeIn.cols, bEnc.count)
        precondition(wEncT.rows == m && wEncT.cols == d, "SparseEncoder: shapes do not match")
        let parts = max(1, min(Threads.count, b))
        let rowsPerPart = (b + parts - 1) / parts
        let width = min(featureBlock, m)
        let scratch = workspace?.encoderScratch(parts: parts, floats: rowsPerPart * width)
            ?? SAEStepWorkspace.EncoderScratch.make(parts: parts, floats: rowsPerPart * width)
        let mainRows = RowBlocks(rows: b), windowRows = RowBlocks(rows: b), auxRows = RowBlocks(rows: b)
        var batchSelection: BatchTopKSelection? = nil
        var gates: [Float] = [], k = 0
        switch selection {
        case .gate(let g): gates = g ?? []
        case .topK(let kk): k = kk
        case .batchTopK(let total): batchSelection = BatchTopKSelection(total: total)
        }
        precondition(gates.isEmpty || gates.count == m, "SparseEncoder: \(gates.count) gates for d_sae \(m)")
        let window = bandwidth > 0 && !theta.isEmpty
        let kAux = min(auxK, deadFeatures.count)
        saeIn.withUnsafeBufferPointer { xb in wEncT.withUnsafeBufferPointer { wb in bEnc.withUnsafeBufferPointer { be in
        gates.withUnsafeBufferPointer { gb in theta.withUnsafeBufferPointer { tb in deadFeatures.withUnsafeBufferPointer { dead in
            let (x, w, bias) = (xb.baseAddress!, wb.baseAddress!, UnsafeRawPointer(be.baseAddress!))
            let gate = gates.isEmpty ? nil : gb.baseAddress.map { UnsafeRawPointer($0) }   // an empty array may have a base address
            let thetaRaw = theta.isEmpty ? nil : tb.baseAddress.map { UnsafeRawPointer($0) }
            Parallel.forEachPart(parts) { part in
                let r0 = part * rowsPerPart, rows = min(b, r0 + rowsPerPart) - r0
                if rows <= 0 { return }
                let pre = scratch[part].pointer                                    // (rows, featureBlock)
                var localRow: [Int32] = [], feature: [Int32] = [], value: [Float] = []
                var wRow: [Int32] = [], wFeature: [Int32] = [], wValue: [Float] = []
                var candidates = BatchTopKSelection.Candidates(total: batchSelection?.total ?? 0)
                let heaps = TopKRows(rows: k > 0 ? rows : 0, k: k, positiveOnly: true)
                let auxHeaps = TopKRows(rows: kAux > 0 ? rows : 0, k: kAux, positiveOnly: false)
                var deadLo = 0                                                     // first dead feature ≥ n0
                var n0 = 0
                while n0 < m {
                    let nb = min(width, m - n0)
                    BLAS.gemm(.none, .transposed, m: rows, n: nb, k: d, a: x + r0 * d, lda: d,
                              b: w + n0 * d, ldb: d, c: pre, ldc: nb)               // inside a part: one thread
                    var deadHi = deadLo
                    while deadHi < dead.count, Int(dead[deadHi]) < n0 + nb { deadHi += 1 }
                    for r in 0..<rows {
                        let rowPtr = pre + r * nb
                        let row = UnsafeRawPointer(rowPtr)
                        @inline(__always) func load(_ i: Int) -> SIMD16<Float> {
                            row.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                                + bias.loadUnaligned(fromByteOffset: (n0 + i) * 4, as: SIMD16<Float>.self)
                        }
                        @inline(__always) func scalar(_ i: Int) -> Float { rowPtr[i] + be[n0 + i] }
                        let full = nb & ~15
                        switch selection {
                        case .gate:
                            var i = 0
                            while i < full {
                                let v = load(i)
                                let g = gate?.loadUnaligned(fromByteOffset: (n0 + i) * 4, as: SIMD16<Float>.self) ?? .zero
                                var hits = laneBits(v .> g)
                                while hits != 0 {
                                    let t = hits.trailingZeroBitCount
                                    hits &= hits - 1
                                    localRow.append(Int32(r)); feature.append(Int32(n0 + i + t)); value.append(scalar(i + t))
                                }
                                i += 16
                            }
                            while i < nb {
                                let v = scalar(i)
                                if v > (gate?.load(fromByteOffset: (n0 + i) * 4, as: Float.self) ?? 0) {
                                    localRow.append(Int32(r)); feature.append(Int32(n0 + i)); value.append(v)
                                }
                                i += 1
                            }
                        case .topK:
                            // Offers in increasing feature order (TopKRows: the threshold test 16 lanes at a time).
                            heaps.scan(r, pre: rowPtr, bias: be.baseAddress! + n0, first: n0, count: nb)
                        case .batchTopK:
                            let rowId = Int32(r0 + r)
                            var i = 0
                            while i < full {
                                let v = load(i)
                                var hits = laneBits(v .>= SIMD16(repeating: candidates.admissionFloor))
                                while hits != 0 {
                                    let t = hits.trailingZeroBitCount
                                    hits &= hits - 1
                                    candidates.offer(scalar(i + t), row: rowId, feature: Int32(n0 + i + t))
                                }
                                i += 16
                            }
                            while i < nb { candidates.offer(scalar(i), row: rowId, feature: Int32(n0 + i)); i += 1 }
                        }
                        if window, let th = thetaRaw {
                            // SAELens `rectangle((x − θ)/bandwidth)`: −1/2 < u < 1/2, in the same float ops.
                            let bw = SIMD16<Float>(repeating: bandwidth)
                            var i = 0
                            while i < full {
                                let v = load(i)
                                let u = (v - th.loadUnaligned(fromByteOffset: (n0 + i) * 4, as: SIMD16<Float>.self)) / bw
                                var hits = laneBits((u .> -0.5) .& (u .< 0.5))
                                while hits != 0 {
                                    let t = hits.trailingZeroBitCount
                                    hits &= hits - 1
                                    wRow.append(Int32(r)); wFeature.append(Int32(n0 + i + t)); wValue.append(scalar(i + t))
                                }
                                i += 16
                            }
                            while i < nb {
                                let v = scalar(i)
                                let u = (v - tb[n0 + i]) / bandwidth
                                if u > -0.5 && u < 0.5 { wRow.append(Int32(r)); wFeature.append(Int32(n0 + i)); wValue.append(v) }
                                i += 1
                            }
                        }
                        if kAux > 0 {
                            for t in deadLo..<deadHi {
                                let f = Int(dead[t])
                                auxHeaps.offer(r, scalar(f - n0), Int32(f))
                            }
                        }
                    }
                    deadLo = deadHi
                    n0 += nb
                }
                switch selection {
                case .gate:
                    let (counts, index, values) = Self.groupByRow(rows: rows, localRow, feature, value)
                    mainRows.store(start: r0, counts: counts, index: index, value: values)
                case .topK:
                    let (counts, index, values) = heaps.sortedByIndex()
                    mainRows.store(start: r0, counts: counts, index: index, value: values)
                case .batchTopK:
                    batchSelection!.store(candidates, first: r0)
                }
                if window {
                    let (counts, index, values) = Self.groupByRow(rows: rows, wRow, wFeature, wValue)
                    windowRows.store(start: r0, counts: counts, index: index, value: values)
                }
                if kAux > 0 {
                    let (counts, index, values) = auxHeaps.sortedByIndex()
                    auxRows.store(start: r0, counts: counts, index: index, value: values)
                }
            }
        } } } } } }
        let codes = batchSelection?.assemble(rows: b, cols: m) ?? mainRows.assemble(cols: m)
        return Output(codes: codes, deadPre: nil, auxCodes: kAux > 0 ? auxRows.assemble(cols: m) : nil,
                      thresholdWindow: window ? windowRows.assemble(cols: m) : nil)
    }

    /// Bit t set where lane t of `mask` is: the lanes are then visited by their bits and read back
    /// as scalars (`pre + b_enc` again, the same float), never by extracting vector lanes.
    @inline(__always)
    static func laneBits(_ mask: SIMDMask<SIMD16<Int32>>) -> UInt32 {
        let weights = SIMD16<Int32>(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768)
        return UInt32(truncatingIfNeeded: SIMD16<Int32>(repeating: 0).replacing(with: weights, where: mask).wrappedSum())
    }

    /// A stable counting sort of (row, feature, value) triples by row: entries were produced in
    /// increasing feature order, so each row's features come out increasing.
    static func groupByRow(rows: Int, _ localRow: [Int32], _ feature: [Int32], _ value: [Float])
        -> (counts: [Int], index: [Int32], value: [Float]) {
        var counts = [Int](repeating: 0, count: rows)
        for r in localRow { counts[Int(r)] += 1 }
        var next = [Int](repeating: 0, count: rows)
        var total = 0
        for r in 0..<rows { next[r] = total; total += counts[r] }
        var index = [Int32](repeating: 0, count: total), values = [Float](repeating: 0, count: total)
        index.withUnsafeMutableBufferPointer { ix in values.withUnsafeMutableBufferPointer { vx in
            next.withUnsafeMutableBufferPointer { nx in
                for e in 0..<localRow.count {
                    let r = Int(localRow[e])
                    let slot = nx[r]
                    ix[slot] = feature[e]; vx[slot] = value[e]
                    nx[r] = slot + 1
                }
            }
        } }
        return (counts, index, values)
    }
}
