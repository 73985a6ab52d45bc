import Perception

/// The colour of an object on the simulated table.
public enum ObjectColor: String, CaseIterable, Sendable, Codable {
    case red, green, blue, yellow, purple, orange
    // Six colours far apart in hue, so a 224-pixel frame tells them apart.

    /// The colour the renderer paints the object's lit faces with (0–255 per channel).
    public var drawingColor: DrawingColor {
        switch self {
        case .red: return DrawingColor(red: 220, green: 40, blue: 40)
        case .green: return DrawingColor(red: 40, green: 180, blue: 60)
        case .blue: return DrawingColor(red: 40, green: 80, blue: 220)
        case .yellow: return DrawingColor(red: 240, green: 210, blue: 30)
        case .purple: return DrawingColor(red: 150, green: 60, blue: 190)
        case .orange: return DrawingColor(red: 245, green: 130, blue: 20)
        }
    }
}

/// The shape of an object on the simulated table, with its size.
public enum ObjectShape: String, CaseIterable, Sendable, Codable {
    /// A cube standing on a face.
    case block
    /// A sphere resting on the table.
    case ball
    /// An open cylinder standing upright.
    case cup

    /// The words an instruction may use for the shape; the first is the canonical one.
    public var names: [String] {
        switch self {
        case .block: return ["block", "cube"]
        case .ball: return ["ball", "sphere"]
        case .cup: return ["cup", "mug"]
        }
    }

    /// The radius of the object's footprint used for contact and spacing, metres.
    public var radius: Double {
        switch self {
        case .block: return 0.018   // a 32 mm cube, between its inscribed and circumscribed circles
        case .ball: return 0.017
        case .cup: return 0.019
        }
    }

    /// The height of the object's top above its bottom, metres.
    public var height: Double {
        switch self {
        case .block: return 0.032
        case .ball: return 0.034
        case .cup: return 0.040
        }
    }

    /// Half the side of a block (the drawn cube), metres.
    var halfSide: Double { 0.016 }
}

/// One object on the table: a coloured shape at a position.
public struct TabletopObject: Sendable, Equatable, Codable, Identifiable {
    /// A number unique within the scene.
    public var id: Int
    /// Its colour.
    public var color: ObjectColor
    /// Its shape.
    public var shape: ObjectShape
    /// The centre of its bottom face in the arm's base frame (x, y, z), metres; z is 0
    /// while it rests on the table.
    public var position: SIMD3<Double>

    /// Creates an object.
    public init(id: Int, color: ObjectColor, shape: ObjectShape, position: SIMD3<Double>) {
        self.id = id
        self.color = color
        self.shape = shape
        self.position = position
    }

    /// The footprint radius, metres.
    public var radius: Double { shape.radius }
    /// The height of its top above the table, metres.
    public var top: Double { position.z + shape.height }
    /// "red block".
    public var name: String { "\(color.rawValue) \(shape.rawValue)" }
}
