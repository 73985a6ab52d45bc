import Foundation
import RobotCore
import Testing
@testable import Perception

/// Compares ``ImagePreprocessor`` with Pillow + numpy (Hugging Face's slow image
/// processors), bit for bit, when `VLA_PIL_REFERENCE` names a folder made by this script
/// (needs `pip install pillow numpy`; off by default, so the suite needs no Python):
///
/// ```python
/// import numpy as np, sys
/// from PIL import Image
/// out = sys.argv[1]; rng = np.random.default_rng(0)
/// h, w = 480, 640; y, x = np.mgrid[0:h, 0:w]
/// scene = np.stack([x * 255 // w, y * 255 // h, (x + y) * 255 // (w + h)], -1).astype(np.int32)
/// scene[100:200, 300:420] = [250, 30, 40]
/// scene = np.clip(scene + rng.integers(-20, 21, size=scene.shape), 0, 255).astype(np.uint8)
/// Image.fromarray(scene).save(f"{out}/scene.png")
/// Image.fromarray(rng.integers(0, 256, size=(97, 131, 3), dtype=np.uint8)).save(f"{out}/noise.png")
/// def hf(path, size=None, shortest=None, crop=None, mean=(0.5,) * 3, std=(0.5,) * 3, resample=Image.BICUBIC):
///     im = Image.open(path).convert("RGB")
///     if size: im = im.resize(size, resample=resample)
///     if shortest:
///         W, H = im.size; s, l = min(W, H), max(W, H); n = int(shortest * l / s)
///         im = im.resize((shortest, n) if W <= H else (n, shortest), resample=resample)
///     a = np.array(im)
///     if crop:
///         H, W = a.shape[:2]; t, le = (H - crop) // 2, (W - crop) // 2; a = a[t:t + crop, le:le + crop]
///     a = (a.astype(np.float64) * (1 / 255)).astype(np.float32)
///     a = (a - np.array(mean, dtype=np.float32)) / np.array(std, dtype=np.float32)
///     return a.transpose(2, 0, 1).astype(np.float32)
/// imagenet = dict(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))
/// for name in ["scene", "noise"]:
///     hf(f"{out}/{name}.png", size=(224, 224)).tofile(f"{out}/{name}_siglip.bin")
///     hf(f"{out}/{name}.png", shortest=256, crop=224, **imagenet).tofile(f"{out}/{name}_dinov2.bin")
///     hf(f"{out}/{name}.png", size=(50, 37), resample=Image.BILINEAR).tofile(f"{out}/{name}_bilinear.bin")
///     hf(f"{out}/{name}.png", size=(300, 700), resample=Image.LANCZOS).tofile(f"{out}/{name}_lanczos_up.bin")
/// ```
///
/// Last run: Pillow 13.0.0, numpy 2.4.6, all eight cases max abs diff 0.0.
@Suite("Preprocessing against Pillow",
       .enabled(if: ProcessInfo.processInfo.environment["VLA_PIL_REFERENCE"] != nil,
                "set VLA_PIL_REFERENCE to a folder made by the script in PILReferenceTests.swift"))
struct PILReferenceTests {
    static let cases: [(String, ImagePreprocessing)] = [
        ("siglip", .siglip),
        ("dinov2", .dinov2),
        ("bilinear", ImagePreprocessing(resize: .exact(PixelSize(width: 50, height: 37)), filter: .bilinear,
                                        mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5])),
        ("lanczos_up", ImagePreprocessing(resize: .exact(PixelSize(width: 300, height: 700)), filter: .lanczos,
                                          mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5])),
    ]

    @Test(arguments: ["scene", "noise"])
    func matchesPillowBitForBit(image name: String) throws {
        let folder = ProcessInfo.processInfo.environment["VLA_PIL_REFERENCE"]!
        let image = try Image(contentsOfFile: "\(folder)/\(name).png")
        for (label, preprocessing) in Self.cases {
            let output = ImagePreprocessor(preprocessing)(image)
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name)_\(label).bin"))
            let reference = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            #expect(output.count == reference.count, "\(name) \(label)")
            let maxAbsDiff = zip(output, reference).map { abs($0 - $1) }.max() ?? .infinity
            #expect(maxAbsDiff == 0, "\(name) \(label): max abs diff \(maxAbsDiff)")
        }
    }
}
