import OpenCVBridge
import RobotCore

/// A colour given as red, green and blue, whatever the image's channel order.
public struct DrawingColor: Sendable, Equatable {
    public var red: Double
    public var green: Double
    public var blue: Double

    /// Creates a colour from 0-255 channel values.
    public init(red: Double, green: Double, blue: Double) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// A gray level 0-255.
    public init(gray: Double) { self.init(red: gray, green: gray, blue: gray) }

    public static let black = DrawingColor(gray: 0)
    public static let white = DrawingColor(gray: 255)
    public static let red = DrawingColor(red: 255, green: 0, blue: 0)
    public static let green = DrawingColor(red: 0, green: 255, blue: 0)
    public static let blue = DrawingColor(red: 0, green: 0, blue: 255)

    /// The channel values in `format`'s order.
    func bridged(for format: Image.PixelFormat) -> OpenCVBridge_Color {
        switch format {
        case .bgr: return OpenCVBridge_Color(c0: blue, c1: green, c2: red)
        case .rgb: return OpenCVBridge_Color(c0: red, c1: green, c2: blue)
        // The same luma weights as OpenCV's BGR2GRAY.
        case .gray: return OpenCVBridge_Color(c0: 0.299 * red + 0.587 * green + 0.114 * blue, c1: 0, c2: 0)
        }
    }
}

/// Drawing in place with OpenCV (`cv::line`, `cv::rectangle`, `cv::circle`,
/// `cv::fillPoly`/`cv::polylines`, `cv::putText`), for the simulator's renderer and for
/// annotated reports. Coordinates are pixels from the top-left corner; shapes are
/// clipped at the border. A `thickness` below zero fills the shape.
extension Image {
    private mutating func draw(_ body: (UnsafeMutablePointer<UInt8>, Int32, Int32, Int32,
                                        UnsafeMutablePointer<OpenCVBridge_Error>) -> OpenCVBridge_Status) {
        let (w, h, c) = (Int32(width), Int32(height), Int32(channels))
        guard w > 0, h > 0 else { return }
        pixels.withUnsafeMutableBufferPointer { buffer in
            // Shapes are clipped by OpenCV; a failure here would be a bridge bug.
            try! bridgeCall { body(buffer.baseAddress!, w, h, c, $0) }
        }
    }

    /// Draws a line from (x0, y0) to (x1, y1).
    public mutating func drawLine(from start: (x: Int, y: Int), to end: (x: Int, y: Int), color: DrawingColor,
                                  thickness: Int = 1, antialiased: Bool = true) {
        let bridged = color.bridged(for: format)
        draw {
            OpenCVBridge_DrawLine($0, $1, $2, $3, Int32(start.x), Int32(start.y), Int32(end.x), Int32(end.y), bridged,
                                  Int32(thickness), antialiased ? 1 : 0, $4)
        }
    }

    /// Draws an axis-aligned rectangle with its top-left corner at (x, y).
    public mutating func drawRectangle(x: Int, y: Int, width rectWidth: Int, height rectHeight: Int,
                                       color: DrawingColor, thickness: Int = -1) {
        let bridged = color.bridged(for: format)
        draw {
            OpenCVBridge_DrawRectangle($0, $1, $2, $3, Int32(x), Int32(y), Int32(rectWidth), Int32(rectHeight), bridged,
                                       Int32(thickness), $4)
        }
    }

    /// Draws a circle.
    public mutating func drawCircle(center: (x: Int, y: Int), radius: Int, color: DrawingColor,
                                    thickness: Int = -1, antialiased: Bool = true) {
        let bridged = color.bridged(for: format)
        draw {
            OpenCVBridge_DrawCircle($0, $1, $2, $3, Int32(center.x), Int32(center.y), Int32(max(radius, 0)), bridged,
                                    Int32(thickness), antialiased ? 1 : 0, $4)
        }
    }

    /// Draws a closed polygon through `points` (at least two).
    public mutating func drawPolygon(_ points: [(x: Int, y: Int)], color: DrawingColor, thickness: Int = -1,
                                     antialiased: Bool = true) {
        guard points.count >= 2 else { return }
        let xy = points.flatMap { [Int32($0.x), Int32($0.y)] }
        let bridged = color.bridged(for: format)
        xy.withUnsafeBufferPointer { coordinates in
            draw {
                OpenCVBridge_DrawPolygon($0, $1, $2, $3, coordinates.baseAddress, Int32(points.count), bridged,
                                         Int32(thickness), antialiased ? 1 : 0, $4)
            }
        }
    }

    /// Draws `text` with its baseline starting at (x, y), in OpenCV's Hershey simplex
    /// font; `scale` 1 is about 22 pixels tall.
    public mutating func drawText(_ text: String, at origin: (x: Int, y: Int), scale: Double = 0.5,
                                  color: DrawingColor, thickness: Int = 1, antialiased: Bool = true) {
        let bridged = color.bridged(for: format)
        draw {
            OpenCVBridge_DrawText($0, $1, $2, $3, text, Int32(origin.x), Int32(origin.y), scale, bridged,
                                  Int32(thickness), antialiased ? 1 : 0, $4)
        }
    }
}
