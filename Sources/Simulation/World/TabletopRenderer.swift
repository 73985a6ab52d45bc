import Foundation
import Perception
import RobotCore

/// Draws a ``TabletopScene`` as the simulated camera sees it, with OpenCV's drawing
/// calls: the table with a faint grid, shadows, the objects as shaded solids with
/// outlines (blocks as cubes, balls as discs with a highlight, cups as cylinders open
/// at the top), the arm as grey links and the gripper as two jaws whose gap follows its
/// opening.
///
/// Rendering is deterministic: the same scene gives the same pixels. Objects, arm
/// links and the gripper are drawn far to near (painter's algorithm), so nearer
/// things hide farther ones.
public struct TabletopRenderer: Sendable {
    /// The camera the scene is seen through.
    public var camera: PinholeCameraModel
    /// The channel order of rendered images (BGR, like a real OpenCV camera).
    public var format: Image.PixelFormat

    /// Creates a renderer.
    public init(camera: PinholeCameraModel = .facingTheArm(), format: Image.PixelFormat = .bgr) {
        self.camera = camera
        self.format = format
    }

    static let background = DrawingColor(red: 62, green: 66, blue: 74)
    static let tableColor = DrawingColor(red: 196, green: 170, blue: 132)
    static let gridColor = DrawingColor(red: 182, green: 156, blue: 120)
    static let shadowColor = DrawingColor(red: 150, green: 128, blue: 98)

    /// A new image of `scene`.
    public func render(_ scene: TabletopScene) -> Image {
        var image = Image(width: camera.size.width, height: camera.size.height, format: format)
        render(scene, into: &image)
        return image
    }

    /// Draws `scene` over all of `image`, which must have the camera's size and the
    /// renderer's format (reusing its storage).
    public func render(_ scene: TabletopScene, into image: inout Image) {
        precondition(image.width == camera.size.width && image.height == camera.size.height && image.format == format,
                     "TabletopRenderer: image is \(image.width)x\(image.height) \(image.format), expected \(camera.size) \(format)")
        image.drawRectangle(x: 0, y: 0, width: image.width, height: image.height, color: Self.background)
        drawTable(scene.table, into: &image)
        // Shadows, then the arm's base, then objects far to near.
        for o in scene.objects {
            let lift = o.position.z
            image.drawPolygon(circle(center: SIMD3(o.position.x + 0.004 + lift * 0.2, o.position.y - 0.004, 0),
                                     radius: o.radius * 1.05), color: Self.shadowColor)
        }
        let g = scene.gripper.position
        image.drawPolygon(circle(center: SIMD3(g.x, g.y, 0), radius: 0.008 + 0.01 * scene.gripper.opening),
                          color: Self.shadowColor)
        // Everything that stands up, far to near (painter's algorithm).
        var items: [(depth: Double, item: Item)] = scene.objects.map {
            (depth(SIMD3($0.position.x, $0.position.y, $0.position.z + $0.shape.height / 2)), .object($0))
        }
        let points = scene.armPoints
        if !points.isEmpty {
            items.append((depth(SIMD3(0, 0, 0.015)), .base))
            // Links from the base to the wrist; the last point is the tool point.
            for (a, b) in zip(points.dropLast(), points.dropFirst().dropLast()) {
                items.append((depth((a + b) / 2), .link(a, b)))
            }
        }
        items.append((depth(g + SIMD3(0, 0, 0.02)), .gripper(scene.gripper, wrist: points.dropLast().last)))
        items.sort { $0.depth > $1.depth }
        for (_, item) in items {
            switch item {
            case .object(let o): drawObject(o, into: &image)
            case .base: drawCylinder(center: SIMD3(0, 0, 0), radius: 0.045, height: 0.03, color: DrawingColor(gray: 70), into: &image)
            case let .link(a, b): drawLink(a, b, into: &image)
            case let .gripper(gripper, wrist): drawGripper(gripper, wrist: wrist, into: &image)
            }
        }
    }

    private enum Item {
        case object(TabletopObject)
        case base
        case link(SIMD3<Double>, SIMD3<Double>)
        case gripper(TabletopScene.Gripper, wrist: SIMD3<Double>?)
    }

    private func depth(_ p: SIMD3<Double>) -> Double { camera.project(p)?.depth ?? 0 }

    // MARK: Pieces

    private func drawTable(_ table: TabletopScene.Table, into image: inout Image) {
        let corners = [SIMD3(table.x.lowerBound, table.y.lowerBound, 0), SIMD3(table.x.upperBound, table.y.lowerBound, 0),
                       SIMD3(table.x.upperBound, table.y.upperBound, 0), SIMD3(table.x.lowerBound, table.y.upperBound, 0)]
        image.drawPolygon(corners.map(camera.pixel), color: Self.tableColor)
        var x = (table.x.lowerBound / 0.1).rounded(.up) * 0.1
        while x <= table.x.upperBound {
            image.drawLine(from: camera.pixel(SIMD3(x, table.y.lowerBound, 0)), to: camera.pixel(SIMD3(x, table.y.upperBound, 0)),
                           color: Self.gridColor)
            x += 0.1
        }
        var y = (table.y.lowerBound / 0.1).rounded(.up) * 0.1
        while y <= table.y.upperBound {
            image.drawLine(from: camera.pixel(SIMD3(table.x.lowerBound, y, 0)), to: camera.pixel(SIMD3(table.x.upperBound, y, 0)),
                           color: Self.gridColor)
            y += 0.1
        }
    }

    private func drawObject(_ o: TabletopObject, into image: inout Image) {
        let color = o.color.drawingColor
        let p = o.position
        switch o.shape {
        case .block:
            let h = o.shape.halfSide
            var corners: [SIMD3<Double>] = []
            for z in [p.z, p.z + 2 * h] {
                for (dx, dy) in [(-h, -h), (h, -h), (h, h), (-h, h)] { corners.append(SIMD3(p.x + dx, p.y + dy, z)) }
            }
            image.drawPolygon(convexHull(corners.map(camera.pixel)), color: shade(color, 0.62))
            let top = Array(corners[4...]).map(camera.pixel)
            image.drawPolygon(top, color: color)
            image.drawPolygon(convexHull(corners.map(camera.pixel)), color: shade(color, 0.35), thickness: 1)
        case .ball:
            let r = o.shape.height / 2
            let c = SIMD3(p.x, p.y, p.z + r)
            guard let pc = camera.project(c) else { return }
            let radius = max(1, Int((camera.focalLength * r / pc.depth).rounded()))
            let center = (x: Int(pc.x.rounded()), y: Int(pc.y.rounded()))
            image.drawCircle(center: center, radius: radius, color: color)
            image.drawCircle(center: (center.x - radius * 2 / 5, center.y - radius * 2 / 5), radius: max(1, radius / 4),
                             color: shade(color, 1.45))
            image.drawCircle(center: center, radius: radius, color: shade(color, 0.35), thickness: 1)
        case .cup:
            // The wall in the object's colour, a lighter rim and a dark inside.
            drawCylinder(center: p, radius: o.radius, height: o.shape.height, color: color, into: &image,
                         side: 1, top: 1.2)
            image.drawPolygon(circle(center: SIMD3(p.x, p.y, p.z + o.shape.height), radius: o.radius * 0.75),
                              color: shade(color, 0.45))
        }
    }

    private func drawCylinder(center p: SIMD3<Double>, radius: Double, height: Double, color: DrawingColor,
                              into image: inout Image, side: Double = 0.62, top topShade: Double = 1) {
        let bottom = circle(center: p, radius: radius)
        let top = circle(center: SIMD3(p.x, p.y, p.z + height), radius: radius)
        let hull = convexHull(bottom + top)
        image.drawPolygon(hull, color: shade(color, side))
        image.drawPolygon(top, color: shade(color, topShade))
        image.drawPolygon(hull, color: shade(color, 0.35), thickness: 1)
    }

    private func drawLink(_ a: SIMD3<Double>, _ b: SIMD3<Double>, into image: inout Image) {
        let link = DrawingColor(gray: 215), edge = DrawingColor(gray: 45)
        let width = thickness(0.022, at: (a + b) / 2)
        image.drawLine(from: camera.pixel(a), to: camera.pixel(b), color: edge, thickness: width + 2)
        image.drawLine(from: camera.pixel(a), to: camera.pixel(b), color: link, thickness: width)
        for p in [a, b] { image.drawCircle(center: camera.pixel(p), radius: max(1, thickness(0.012, at: p)), color: edge) }
    }

    /// The gripper: a wrist, a palm bar and two jaws whose gap follows the opening;
    /// the jaw tips are white while open, pink while closed, and the jaws turn dark blue
    /// while holding an object.
    private func drawGripper(_ g: TabletopScene.Gripper, wrist: SIMD3<Double>?, into image: inout Image) {
        let edge = DrawingColor(gray: 45)
        let gap = 0.008 + 0.034 * g.opening
        let palm = 0.035
        let side = g.jawAxis
        let tipA = g.position + side * (gap / 2), tipB = g.position - side * (gap / 2)
        let up = g.wristAxis * palm
        if let wrist {
            image.drawLine(from: camera.pixel(wrist), to: camera.pixel(g.position + up), color: edge,
                           thickness: thickness(0.014, at: g.position + up))
        }
        let jaw = max(2, thickness(0.007, at: g.position))
        let jawColor = g.graspedObjectID == nil ? DrawingColor(gray: 35) : DrawingColor(red: 20, green: 20, blue: 90)
        image.drawLine(from: camera.pixel(tipA + up), to: camera.pixel(tipB + up), color: jawColor, thickness: jaw)
        image.drawLine(from: camera.pixel(tipA + up), to: camera.pixel(tipA), color: jawColor, thickness: jaw)
        image.drawLine(from: camera.pixel(tipB + up), to: camera.pixel(tipB), color: jawColor, thickness: jaw)
        let marker = g.opening >= TabletopScene.Physics.releaseThreshold ? DrawingColor(gray: 250)
                                                                           : DrawingColor(red: 255, green: 120, blue: 200)
        image.drawCircle(center: camera.pixel(tipA), radius: max(1, jaw / 2), color: marker)
        image.drawCircle(center: camera.pixel(tipB), radius: max(1, jaw / 2), color: marker)
    }

    // MARK: Geometry

    /// A line thickness in pixels for a `metres`-wide feature at `point`.
    private func thickness(_ metres: Double, at point: SIMD3<Double>) -> Int {
        guard let p = camera.project(point) else { return 1 }
        return max(1, Int((camera.focalLength * metres / p.depth).rounded()))
    }

    /// The projected outline of a horizontal circle.
    private func circle(center: SIMD3<Double>, radius: Double, segments: Int = 24) -> [(x: Int, y: Int)] {
        (0..<segments).map { k in
            let a = 2 * Double.pi * Double(k) / Double(segments)
            return camera.pixel(SIMD3(center.x + radius * cos(a), center.y + radius * sin(a), center.z))
        }
    }
}

private func shade(_ c: DrawingColor, _ factor: Double) -> DrawingColor {
    DrawingColor(red: min(255, c.red * factor), green: min(255, c.green * factor), blue: min(255, c.blue * factor))
}

/// The convex hull of pixel points (Andrew's monotone chain), counter-clockwise.
func convexHull(_ points: [(x: Int, y: Int)]) -> [(x: Int, y: Int)] {
    let p = points.sorted { $0.x != $1.x ? $0.x < $1.x : $0.y < $1.y }
    guard p.count > 2 else { return p }
    func turn(_ o: (x: Int, y: Int), _ a: (x: Int, y: Int), _ b: (x: Int, y: Int)) -> Int {
        (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x)
    }
    var lower: [(x: Int, y: Int)] = []
    for q in p {
        while lower.count >= 2 && turn(lower[lower.count - 2], lower[lower.count - 1], q) <= 0 { lower.removeLast() }
        lower.append(q)
    }
    var upper: [(x: Int, y: Int)] = []
    for q in p.reversed() {
        while upper.count >= 2 && turn(upper[upper.count - 2], upper[upper.count - 1], q) <= 0 { upper.removeLast() }
        upper.append(q)
    }
    return Array(lower.dropLast() + upper.dropLast())
}
