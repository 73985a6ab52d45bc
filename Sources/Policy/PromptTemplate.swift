/// How an instruction becomes the text a policy's language model reads.
///
/// The default is OpenVLA's: `"In: What action should the robot take to {instruction}?\nOut:"`,
/// with the instruction lower-cased (as every OpenVLA caller does), tokenised with BOS,
/// and followed by the SentencePiece empty-piece token `"▁"` (id 29871 in Llama-2), which
/// `OpenVLAForActionPrediction.predict_action` appends because training prompts had it.
/// The image features go right after BOS (see ``VLAPolicy``).
public struct PromptTemplate: Sendable, Equatable {
    /// The text, with `{instruction}` where the instruction goes.
    public var template: String
    /// Whether the instruction is lower-cased first.
    public var lowercaseInstruction: Bool
    /// A token appended after tokenisation unless the prompt already ends with it (nil: none).
    public var trailingToken: String?

    /// Creates a template.
    public init(template: String, lowercaseInstruction: Bool = true, trailingToken: String? = nil) {
        self.template = template
        self.lowercaseInstruction = lowercaseInstruction
        self.trailingToken = trailingToken
    }

    /// OpenVLA's prompt.
    public static let openVLA = PromptTemplate(
        template: "In: What action should the robot take to {instruction}?\nOut:",
        lowercaseInstruction: true, trailingToken: "▁")

    /// The prompt text for an instruction.
    public func text(for instruction: String) -> String {
        let i = lowercaseInstruction ? instruction.lowercased() : instruction
        return template.replacingOccurrences(of: "{instruction}", with: i)
    }
}
