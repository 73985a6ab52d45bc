import Foundation
import Testing
import Tokenizers

/// Bad files must become typed errors naming the file and the JSON path, never crashes.
@Suite("Tokenizer errors")
struct TokenizerErrorTests {
    /// A minimal valid tokenizer.json with `replace` spliced in at the top level.
    static func json(model: String = #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}"#,
                     extra: String = "") -> Data {
        Data(#"{"version": "1.0", "added_tokens": [], \#(extra) "model": \#(model)}"#.utf8)
    }

    @Test func minimalFileLoadsAndMerges() throws {
        let tokenizer = try Tokenizer(data: Self.json())
        #expect(tokenizer.encode("abab") == [2, 2])
        #expect(tokenizer.decode([2, 0]) == "ab a")  // no decoder: tokens joined with spaces
    }

    @Test func notJSON() {
        let error = #expect(throws: TokenizerError.self) {
            try Tokenizer(data: Data("{\"model\": {\"type\": \"BPE\",, }".utf8), file: "bad.json")
        }
        guard case let .invalidJSON(file, reason) = error else {
            Issue.record("expected invalidJSON, got \(String(describing: error))")
            return
        }
        #expect(file == "bad.json")
        #expect(reason == "not JSON: expected a member name at byte 25")
        #expect(throws: TokenizerError.invalidJSON(file: "t.json", reason: "not JSON: unterminated string at byte 14")) {
            try Tokenizer(data: Data("{\"model\": \"abc".utf8), file: "t.json")
        }
        #expect(throws: TokenizerError.invalidJSON(file: "list.json", reason: "the top level is not a JSON object")) {
            try Tokenizer(data: Data("[1, 2]".utf8), file: "list.json")
        }
    }

    @Test func missingModel() {
        #expect(throws: TokenizerError.missingField(file: "t.json", path: "model")) {
            try Tokenizer(data: Data(#"{"version": "1.0", "added_tokens": []}"#.utf8), file: "t.json")
        }
    }

    @Test func missingFile() throws {
        let url = URL(fileURLWithPath: "/nonexistent/swiftvla/tokenizer.json")
        #expect(throws: TokenizerError.unreadable(file: url.path, reason: "no such file")) {
            try Tokenizer(tokenizerJSON: url)
        }
        #expect(throws: TokenizerError.self) {
            try Tokenizer(directory: URL(fileURLWithPath: "/nonexistent/swiftvla"))
        }
    }

    @Test(arguments: [
        (#""pre_tokenizer": {"type": "UnicodeScripts"},"#, "pre_tokenizer.type", "UnicodeScripts"),
        (#""pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "ByteLevel"}, {"type": "BertPreTokenizer"}]},"#,
         "pre_tokenizer.pretokenizers[1].type", "BertPreTokenizer"),
        (#""normalizer": {"type": "Precompiled", "precompiled_charsmap": ""},"#, "normalizer.type", "Precompiled"),
        (#""decoder": {"type": "WordPiece", "prefix": "--"},"#, "decoder.type", "WordPiece"),
        (#""post_processor": {"type": "Mystery"},"#, "post_processor.type", "Mystery"),
        (#""pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "Sideways"},"#,
         "pre_tokenizer.behavior", "Sideways"),
    ])
    func unsupportedComponent(extra: String, component: String, value: String) {
        #expect(throws: TokenizerError.unsupported(file: "x/tokenizer.json", component: component, value: value)) {
            try Tokenizer(data: Self.json(extra: extra), file: "x/tokenizer.json")
        }
    }

    @Test func unsupportedModel() {
        let unigram = #"{"type": "Unigram", "vocab": [["a", 0.0]]}"#
        #expect(throws: TokenizerError.unsupported(file: "u.json", component: "model.type", value: "Unigram")) {
            try Tokenizer(data: Self.json(model: unigram), file: "u.json")
        }
    }

    @Test func mergeOutsideVocabulary() {
        let model = #"{"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}"#
        #expect(throws: TokenizerError.invalidValue(file: "m.json", path: "model.merges[0]", reason: "\"ab\" is not in model.vocab")) {
            try Tokenizer(data: Self.json(model: model), file: "m.json")
        }
    }

    @Test func absurdIDIsAnErrorNotAHugeAllocation() {
        let model = #"{"type": "BPE", "vocab": {"a": 0, "b": 99999999999}, "merges": []}"#
        #expect(throws: TokenizerError.invalidValue(file: "i.json", path: "model.vocab.b", reason: "expected an integer id in 0..<16777216")) {
            try Tokenizer(data: Self.json(model: model), file: "i.json")
        }
    }

    @Test func wrongTypeNamesThePath() {
        #expect(throws: TokenizerError.invalidValue(file: "w.json", path: "pre_tokenizer.add_prefix_space", reason: "expected true or false")) {
            try Tokenizer(data: Self.json(extra: #""pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": "yes"},"#), file: "w.json")
        }
    }

    @Test func errorsExplainThemselves() {
        let error = TokenizerError.unsupported(file: "tok.json", component: "pre_tokenizer.type", value: "Whitespace")
        #expect(error.description.contains("tok.json"))
        #expect(error.description.contains("pre_tokenizer.type"))
        #expect(error.description.contains("Whitespace"))
    }
}
