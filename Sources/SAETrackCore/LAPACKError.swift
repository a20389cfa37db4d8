/// A LAPACK routine refused its input or failed; LAPACK's `info` made into a typed error.
public enum LAPACKError: Error, Equatable, CustomStringConvertible {
    /// `info < 0`: argument number `argument` (1-based, LAPACKE's numbering) had an illegal value.
    case invalidArgument(routine: String, argument: Int)
    /// `info > 0`: the algorithm did not converge (`info` is the routine's own failure count/index).
    case didNotConverge(routine: String, info: Int)
    /// The input matrix holds NaN or infinity, which LAPACK cannot decompose.
    case nonFiniteInput(routine: String)
    /// The input shape cannot be used by the routine (e.g. a non-square matrix for an eigensolver).
    case invalidShape(routine: String, rows: Int, cols: Int, expected: String)

    public var description: String {
        switch self {
        case let .invalidArgument(routine, argument):
            return "\(routine): argument \(argument) had an illegal value (LAPACK info = -\(argument))"
        case let .didNotConverge(routine, info):
            return "\(routine): the algorithm did not converge (LAPACK info = \(info))"
        case let .nonFiniteInput(routine):
            return "\(routine): the input matrix contains NaN or infinity"
        case let .invalidShape(routine, rows, cols, expected):
            return "\(routine): input is (\(rows), \(cols)), expected \(expected)"
        }
    }

    /// Throws the error that a LAPACK `info` value stands for; returns when `info == 0`.
    static func check(_ info: Int32, routine: String) throws {
        if info < 0 { throw LAPACKError.invalidArgument(routine: routine, argument: Int(-info)) }
        if info > 0 { throw LAPACKError.didNotConverge(routine: routine, info: Int(info)) }
    }
}
