/// A word-level model: every pre-tokenised word is one vocabulary entry, or the unknown token.
struct WordLevelModel {
    let vocab: [String: Int32]
    let unknownID: Int32?

    func tokenize(_ word: String, into out: inout [Int32]) {
        if let id = vocab[word] { out.append(id) } else if let unk = unknownID { out.append(unk) }
    }
}
