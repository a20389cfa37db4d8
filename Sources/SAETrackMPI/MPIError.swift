import CMPI

/// An MPI call that did not succeed, with the library's own description of the error code.
public struct MPIError: Error, CustomStringConvertible, Equatable {
    /// The MPI function that failed, e.g. `MPI_Sendrecv`.
    public var call: String
    /// Its return code.
    public var code: Int32
    /// `MPI_Error_string` of the code.
    public var message: String

    init(call: String, code: Int32) {
        self.call = call
        self.code = code
        var buffer = [CChar](repeating: 0, count: Int(saetrack_mpi_max_error_string()) + 1)
        var length: Int32 = 0
        if MPI_Error_string(code, &buffer, &length) == saetrack_mpi_success() {
            message = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        } else {
            message = "unknown MPI error"
        }
    }

    public var description: String { "\(call) failed (MPI error \(code)): \(message)" }

    /// Throws unless `code` is `MPI_SUCCESS`.
    static func check(_ code: Int32, _ call: String) throws {
        if code != saetrack_mpi_success() { throw MPIError(call: call, code: code) }
    }
}
