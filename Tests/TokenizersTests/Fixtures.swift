import Foundation
import Tokenizers

/// Locates and reads the tokenizer fixtures made by Models/tools/make_tokenizer_fixtures.py.
enum TokenizerFixtures {
    /// The names of the fixture folders.
    static let names = ["gpt2", "roberta", "llama3", "qwen2", "llama2", "metaspace", "extras", "extras2"]

    /// Tests/Fixtures/tokenizers.
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("tokenizers")

    /// One reference encoding from cases.json.
    struct Case: Decodable {
        let text: String
        let ids: [Int]
        let idsNoSpecial: [Int]
        let decoded: String
        let decodedSkipSpecial: String

        enum CodingKeys: String, CodingKey {
            case text, ids, decoded
            case idsNoSpecial = "ids_no_special"
            case decodedSkipSpecial = "decoded_skip_special"
        }
    }

    /// Vocabulary facts from info.json.
    struct Info: Decodable {
        let vocabSize: Int
        let vocabSizeWithAddedTokens: Int
        let idToToken: [IDToken]
        let missingIDs: [Int]

        enum CodingKeys: String, CodingKey {
            case vocabSize = "vocab_size"
            case vocabSizeWithAddedTokens = "vocab_size_with_added_tokens"
            case idToToken = "id_to_token"
            case missingIDs = "missing_ids"
        }
    }

    /// An `[id, token]` pair.
    struct IDToken: Decodable {
        let id: Int
        let token: String

        init(from decoder: Decoder) throws {
            var container = try decoder.unkeyedContainer()
            id = try container.decode(Int.self)
            token = try container.decode(String.self)
        }
    }

    static func directory(_ name: String) -> URL { root.appendingPathComponent(name) }

    static func tokenizer(_ name: String) throws -> Tokenizer {
        try Tokenizer(directory: directory(name))
    }

    static func cases(_ name: String) throws -> [Case] {
        let data = try Data(contentsOf: directory(name).appendingPathComponent("cases.json"))
        return try JSONDecoder().decode([Case].self, from: data)
    }

    static func info(_ name: String) throws -> Info {
        let data = try Data(contentsOf: directory(name).appendingPathComponent("info.json"))
        return try JSONDecoder().decode(Info.self, from: data)
    }
}
