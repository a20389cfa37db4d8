/// A hand-written scanner equivalent to GPT-2's pre-tokenisation regex
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// over unicode scalars (Swift `Regex` is far too slow for corpus-scale tokenisation). At each
/// position the alternatives are tried in order, as a backtracking regex engine would.
enum GPT2PreTokenizerScanner {
    /// The ranges (in `scalars` indices) of the pieces the pattern matches, covering the input.
    static func split(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        let n = scalars.count
        var pieces: [Range<Int>] = []
        pieces.reserveCapacity(n / 4 + 1)
        var classes = [CharacterClass](repeating: .other, count: n)
        for i in 0..<n { classes[i] = CharacterClass.of(scalars[i]) }
        var i = 0
        while i < n {
            let end = matchEnd(scalars, classes, at: i)
            pieces.append(i..<end)
            i = end
        }
        return pieces
    }

    /// The end of the match starting at `i` (always > i).
    @inline(__always)
    private static func matchEnd(_ s: [Unicode.Scalar], _ c: [CharacterClass], at i: Int) -> Int {
        let n = s.count
        // 's|'t|'re|'ve|'m|'ll|'d
        if s[i] == "'" && i + 1 < n {
            switch s[i + 1] {
            case "s", "t", "m", "d": return i + 2
            case "r", "v":
                if i + 2 < n && s[i + 2] == "e" { return i + 3 }
            case "l":
                if i + 2 < n && s[i + 2] == "l" { return i + 3 }
            default: break
            }
        }
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional literal space, then a run of one class.
        var start = i
        if s[i] == " " && i + 1 < n && c[i + 1] != .whitespace { start = i + 1 }
        let cls = c[start]
        if cls != .whitespace {
            var j = start + 1
            while j < n && c[j] == cls { j += 1 }
            return j
        }
        // `\s+(?!\S)`: the whitespace run, minus its last character when a non-space follows.
        var e = i + 1
        while e < n && c[e] == .whitespace { e += 1 }
        if e == n { return e }
        if e - i >= 2 { return e - 1 }
        // `\s+`
        return e
    }
}
