/// Maps continuous actions in [-1, 1] to token ids and back, in OpenVLA's convention.
///
/// RT-2 and OpenVLA discretise each action dimension into 256 uniform bins and emit one
/// token per dimension. OpenVLA's exact scheme (`prismatic/vla/action_tokenizer.py` and
/// `OpenVLAForActionPrediction.predict_action`):
///
/// - 256 bin *edges* `linspace(-1, 1, 256)`, and 255 bin *centres* between them.
/// - Encoding clips to [-1, 1] and takes `digitize(value, edges)`, an index in 1...256;
///   the token is `vocabularySize - index`, so actions use the last 256 ids of the base
///   vocabulary (Llama-2's least used tokens), below any padding the checkpoint adds.
/// - Decoding takes `index = vocabularySize - token`, then `clip(index - 1, 0, 254)` into
///   the centres: ids outside the action range are clipped to an edge bin, never rejected.
///
/// `vocabularySize` is the tokenizer's base vocabulary, i.e. OpenVLA's
/// `text_config.vocab_size - pad_to_multiple_of` (32064 − 64 = 32000 for OpenVLA-7B).
///
/// RT-2 conventions, for reference: RT-2 emits 8 tokens, a terminate flag first, then
/// Δposition (3), Δrotation (3) and the gripper; OpenVLA emits 7 (no terminate token),
/// with the gripper last in [0, 1] (0 = close, 1 = open after un-normalisation, which its
/// statistics mask leaves untouched).
public struct ActionTokenizer: Sendable, Equatable {
    /// The size of the base vocabulary whose top ids hold the action bins.
    public let vocabularySize: Int
    /// The number of bin edges (256 in RT-2 and OpenVLA).
    public let bins: Int
    /// The lowest and highest normalised action value.
    public let minimum: Double, maximum: Double
    /// The bin edges, `bins` of them.
    public let edges: [Double]
    /// The bin centres, `bins - 1` of them.
    public let centers: [Double]

    /// Creates a tokenizer.
    /// - Parameters:
    ///   - vocabularySize: The base vocabulary size (the action tokens are the ids just below it).
    ///   - bins: The number of bin edges (at least 2).
    public init(vocabularySize: Int, bins: Int = 256, minimum: Double = -1, maximum: Double = 1) {
        precondition(bins >= 2 && vocabularySize >= bins, "ActionTokenizer: \(bins) bins do not fit a vocabulary of \(vocabularySize)")
        self.vocabularySize = vocabularySize
        self.bins = bins
        self.minimum = minimum
        self.maximum = maximum
        // numpy.linspace: start + i·step, with the last value set to stop exactly.
        let step = (maximum - minimum) / Double(bins - 1)
        var edges = (0..<bins).map { minimum + Double($0) * step }
        edges[bins - 1] = maximum
        self.edges = edges
        self.centers = (0..<(bins - 1)).map { (edges[$0] + edges[$0 + 1]) / 2 }
    }

    /// The ids that decode to a bin: `vocabularySize - bins ..< vocabularySize`.
    public var tokenRange: Range<Int> { (vocabularySize - bins)..<vocabularySize }

    /// The token for one normalised action value (clipped to [minimum, maximum]).
    public func token(for value: Double) -> Int {
        let v = Swift.min(Swift.max(value, minimum), maximum)
        // numpy.digitize(v, edges) with right=False: the i with edges[i-1] <= v < edges[i].
        var lo = 0, hi = edges.count  // first index with edges[index] > v
        while lo < hi {
            let mid = (lo + hi) / 2
            if edges[mid] <= v { lo = mid + 1 } else { hi = mid }
        }
        return vocabularySize - lo
    }

    /// The tokens for normalised actions.
    public func tokens(for values: [Double]) -> [Int] { values.map(token(for:)) }

    /// The normalised action value a token stands for (ids outside the range clip to an edge bin).
    public func value(for token: Int) -> Double {
        let index = Swift.min(Swift.max(vocabularySize - token - 1, 0), centers.count - 1)
        return centers[index]
    }

    /// The normalised actions for tokens.
    public func values(for tokens: [Int]) -> [Double] { tokens.map(value(for:)) }
}
