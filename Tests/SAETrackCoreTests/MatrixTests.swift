import Testing
@testable import SAETrackCore

@Suite("Matrix")
struct MatrixTests {
    @Test("row-major layout, row views without copies, reshape and transpose")
    func layout() {
        var m = Matrix([[1, 2, 3], [4, 5, 6]])
        #expect(m.shape == (2, 3) && m.count == 6)
        #expect(m.storage == [1, 2, 3, 4, 5, 6])
        #expect(m.row(1) == [4, 5, 6])
        #expect(m.rows(1..<2) == Matrix([[4, 5, 6]]))
        #expect(m.withRows(1..<2) { Array($0) } == [4, 5, 6])
        m.withMutableRows(0..<1) { $0[2] = 9 }
        #expect(m[0, 2] == 9)
        #expect(m.transposed() == Matrix([[1, 4], [2, 5], [9, 6]]))
        #expect(m.reshaped(rows: 3, cols: 2).storage == m.storage)
    }

    // Shape mismatches are programmer errors and stop the process with a precondition failure
    // (kept in release builds), rather than reading out of bounds.
    @Test("out-of-bounds element access stops with a precondition failure")
    func subscriptOutOfBounds() async {
        await #expect(processExitsWith: .failure) {
            let m = Matrix(rows: 2, cols: 3)
            _ = m[2, 0]
        }
    }

    @Test("storage of the wrong size stops with a precondition failure")
    func wrongStorage() async {
        await #expect(processExitsWith: .failure) {
            _ = Matrix(rows: 2, cols: 3, storage: [1, 2, 3])
        }
    }

    @Test("gemm with mismatched inner dimensions stops with a precondition failure")
    func gemmMismatch() async {
        await #expect(processExitsWith: .failure) {
            var c = Matrix(rows: 2, cols: 2)
            BLAS.gemm(Matrix(rows: 2, cols: 3), Matrix(rows: 4, cols: 2), into: &c)
        }
    }
}
