import Foundation
import RobotCore

/// A pinhole camera at a fixed pose looking at the table: projects points in the arm's
/// base frame (metres) to pixel coordinates.
///
/// The camera looks from `eye` toward `target` with the world's z axis up in the
/// image; pixels are square, the principal point is the image centre, and the focal
/// length follows from the horizontal field of view:
/// `fx = (width / 2) / tan(fov / 2)`, `u = cx + fx · x_c / z_c`, `v = cy + fx · y_c / z_c`.
public struct PinholeCameraModel: Sendable, Equatable {
    /// The camera's centre in the base frame, metres.
    public var eye: SIMD3<Double>
    /// The point the optical axis passes through, metres.
    public var target: SIMD3<Double>
    /// The horizontal field of view, radians.
    public var horizontalFieldOfView: Double
    /// The image size in pixels.
    public var size: PixelSize

    /// Creates a camera model.
    public init(eye: SIMD3<Double>, target: SIMD3<Double>, horizontalFieldOfView: Double, size: PixelSize) {
        precondition(size.width > 0 && size.height > 0, "PinholeCameraModel: empty image size \(size)")
        self.eye = eye
        self.target = target
        self.horizontalFieldOfView = horizontalFieldOfView
        self.size = size
    }

    /// The default view: facing the arm from 42 cm in front of its base and 46 cm up,
    /// looking down at the workspace, so the arm reaches toward the camera and never
    /// hides the objects from it. The image's left is the arm's right (−x). The 32°
    /// field of view frames the placement area with the push margins (x ±13 cm, y −25 …
    /// −10 cm) edge to edge, so a 3 cm object is about 22 pixels wide at 224x224 (and
    /// still about 11 at the 112-pixel input of the bundled model).
    public static func facingTheArm(size: PixelSize = PixelSize(width: 224, height: 224)) -> PinholeCameraModel {
        PinholeCameraModel(eye: SIMD3(0, -0.42, 0.46), target: SIMD3(0, -0.17, 0.02),
                           horizontalFieldOfView: 32 * Double.pi / 180, size: size)
    }

    /// The focal length in pixels.
    public var focalLength: Double { Double(size.width) / 2 / tan(horizontalFieldOfView / 2) }

    /// The camera's axes in the base frame: right and down in the image, and forward.
    var axes: (right: SIMD3<Double>, down: SIMD3<Double>, forward: SIMD3<Double>) {
        let f = normalized(target - eye)
        var r = cross(f, SIMD3(0, 0, 1))
        if (r * r).sum() < 1e-12 { r = SIMD3(-1, 0, 0) }   // looking straight down: right is −x
        r = normalized(r)
        return (r, cross(f, r), f)
    }

    /// The pixel coordinates (x right, y down) and the depth along the optical axis
    /// (metres) of `point`; `nil` for points behind the camera.
    public func project(_ point: SIMD3<Double>) -> (x: Double, y: Double, depth: Double)? {
        let (r, d, f) = axes
        let v = point - eye
        let z = (v * f).sum()
        guard z > 1e-4 else { return nil }
        let fl = focalLength
        return (Double(size.width) / 2 + fl * (v * r).sum() / z,
                Double(size.height) / 2 + fl * (v * d).sum() / z, z)
    }

    /// The projected pixel, rounded, for drawing; points behind the camera go to (0, 0).
    func pixel(_ point: SIMD3<Double>) -> (x: Int, y: Int) {
        guard let p = project(point) else { return (0, 0) }
        let limit = 1e6
        return (Int(max(min(p.x, limit), -limit).rounded()), Int(max(min(p.y, limit), -limit).rounded()))
    }
}

func cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}

func normalized(_ v: SIMD3<Double>) -> SIMD3<Double> {
    let n = (v * v).sum().squareRoot()
    return n > 0 ? v / n : v
}
