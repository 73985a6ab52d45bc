import ArgumentParser
import Foundation
import VLA

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Encode text to token ids, or decode ids to text, with a Hugging Face tokenizer.json.",
        discussion: """
        Prints JSON: {"ids": [...]} when encoding, {"text": "..."} when decoding.

        Examples:
          vla tokenize --tokenizer Models/some-model --text "put the red block in the bowl"
          vla tokenize --tokenizer tokenizer.json --text "hello" --no-special
          vla tokenize --tokenizer tokenizer.json --decode 1,15043
        """
    )

    @Option(help: "A tokenizer.json file, or a model folder holding one (and tokenizer_config.json).")
    var tokenizer: String

    @Option(help: "Text to encode.")
    var text: String?

    @Option(help: "Comma-separated ids to decode instead.")
    var decode: String?

    @Flag(help: "Do not add special tokens (BOS/EOS) when encoding; keep them out of the text when decoding.")
    var noSpecial = false

    func validate() throws {
        guard (text == nil) != (decode == nil) else { throw ValidationError("give exactly one of --text and --decode") }
    }

    func run() throws {
        let url = URL(fileURLWithPath: tokenizer)
        var isDir: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir)
        let tok: Tokenizer
        do {
            tok = isDir.boolValue ? try Tokenizer(directory: url) : try Tokenizer(tokenizerJSON: url)
        } catch {
            throw fail(error)
        }
        let json: [String: Any]
        if let text {
            json = ["ids": tok.encode(text, addSpecialTokens: !noSpecial)]
        } else {
            let ids = try LMCommand.parseIDs(decode!, option: "--decode")
            json = ["text": tok.decode(ids, skipSpecialTokens: noSpecial)]
        }
        let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
    }
}
