import Foundation
import RobotCore
import Testing
@testable import Perception

@Suite("Model-input preprocessing")
struct PreprocessorTests {
    /// The normalised value of an 8-bit level, as HF computes it (float64 rescale, float32 normalise).
    func normalised(_ level: Int, mean: Float = 0.5, std: Float = 0.5) -> Float {
        (Float(Double(level) * (1.0 / 255.0)) - mean) / std
    }

    func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
    }

    /// A deterministic pseudo-random image.
    func noise(width: Int, height: Int, format: Image.PixelFormat = .bgr, seed: UInt64 = 1) -> Image {
        var state = seed
        var image = Image(width: width, height: height, format: format)
        for i in image.pixels.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            image.pixels[i] = UInt8(truncatingIfNeeded: state >> 56)
        }
        return image
    }

    @Test func fixedPointWeightsMatchPillowsRounding() {
        // 4 -> 2 bilinear: the kernel is stretched to support 2; output 0 is centred at 1.0
        // and covers source pixels 0, 1, 2 with triangle weights 0.75, 0.75, 0.25, i.e.
        // 3/7, 3/7, 1/7 after normalising; times 2^22, rounded: 1797559, 1797559, 599186.
        let c = ResampleFilter.bilinear.coefficients(inputSize: 4, outputSize: 2)
        #expect(c.starts == [0, 1] && c.counts == [3, 3])
        #expect(Array(c.weights[0..<3]) == [1797559, 1797559, 599186])
        #expect(Array(c.weights[c.ksize..<(c.ksize + 3)]) == [599186, 1797559, 1797559])
    }

    @Test func bilinearDownscaleMatchesHandComputation() {
        // B(x, y) = a[x] + b[y], G = B + 100, R = 255 - B (BGR input). Resampling is affine
        // with weights summing to one, so each axis reduces on its own:
        //   a = [0, 35, 70, 105] -> [(3*0 + 3*35 + 70) / 7, (35 + 3*70 + 3*105) / 7] = [25, 80]
        //   b = [0, 14, 28, 42]  -> [(0 + 3*14 + 28) / 7, (14 + 3*28 + 3*42) / 7]   = [10, 32]
        let a = [0, 35, 70, 105], b = [0, 14, 28, 42]
        var image = Image(width: 4, height: 4, format: .bgr)
        for y in 0..<4 {
            for x in 0..<4 {
                let v = a[x] + b[y], i = 3 * (y * 4 + x)
                image.pixels[i] = UInt8(v)
                image.pixels[i + 1] = UInt8(v + 100)
                image.pixels[i + 2] = UInt8(255 - v)
            }
        }
        let blue = [25 + 10, 80 + 10, 25 + 32, 80 + 32] // row-major 2x2
        let expected = blue.map { normalised(255 - $0) } + blue.map { normalised($0 + 100) } + blue.map { normalised($0) }
        let preprocessor = ImagePreprocessor(ImagePreprocessing(resize: .exact(PixelSize(width: 2, height: 2)),
                                                                filter: .bilinear, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5]))
        let output = preprocessor(image)
        #expect(output.count == 12)
        #expect(maxAbsDiff(output, expected) < 1e-6, "got \(output)")
    }

    @Test func withoutResizeItIsChannelSwapAndNormalisation() {
        let image = noise(width: 7, height: 5)
        let p = ImagePreprocessing(resize: .none, mean: ImagePreprocessing.imagenetMean, std: ImagePreprocessing.imagenetStd)
        let output = ImagePreprocessor(p)(image)
        var expected = [Float](repeating: 0, count: 3 * 35)
        for i in 0..<35 {
            for c in 0..<3 {
                // Output plane c (R, G, B) comes from BGR channel 2 - c.
                expected[c * 35 + i] = normalised(Int(image.pixels[3 * i + 2 - c]), mean: p.mean[c], std: p.std[c])
            }
        }
        #expect(output == expected)
        // The same picture given as RGB gives the same planes.
        #expect(ImagePreprocessor(p)(image.converted(to: .rgb)) == expected)
    }

    @Test(arguments: ResampleFilter.allCases)
    func constantImagesStayConstant(filter: ResampleFilter) {
        var image = Image(width: 37, height: 23, format: .bgr)
        for i in image.pixels.indices { image.pixels[i] = 200 }
        let p = ImagePreprocessing(resize: .exact(PixelSize(width: 10, height: 16)), filter: filter,
                                   mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5])
        let output = ImagePreprocessor(p)(image)
        #expect(output.count == 3 * 160)
        #expect(output.allSatisfy { $0 == normalised(200) })
    }

    @Test func centreCropEqualsCroppingTheFullResize() {
        let image = noise(width: 40, height: 24, seed: 7)
        // Shorter side 24 -> 12, so 40x24 -> 20x12; crop 12x10 at ((20-12)/2, (12-10)/2) = (4, 1).
        let cropped = ImagePreprocessing(resize: .shortestEdge(12), centerCrop: PixelSize(width: 12, height: 10),
                                         mean: [0, 0, 0], std: [1, 1, 1])
        var full = cropped
        full.centerCrop = nil
        #expect(cropped.resizedSize(for: PixelSize(width: 40, height: 24)) == PixelSize(width: 20, height: 12))
        let a = ImagePreprocessor(cropped)(image), b = ImagePreprocessor(full)(image)
        var expected: [Float] = []
        for c in 0..<3 { for y in 1..<11 { for x in 4..<16 { expected.append(b[c * 240 + y * 20 + x]) } } }
        #expect(a == expected)
    }

    @Test func presetsGiveTheModelsInputSizes() {
        let camera = PixelSize(width: 640, height: 480)
        #expect(ImagePreprocessing.dinov2.resizedSize(for: camera) == PixelSize(width: 341, height: 256))
        #expect(ImagePreprocessor(.dinov2).outputCount(for: camera) == 3 * 224 * 224)
        #expect(ImagePreprocessor(.siglip).outputSize(for: camera) == PixelSize(width: 224, height: 224))
        let portrait = PixelSize(width: 480, height: 640)
        #expect(ImagePreprocessing.clip.resizedSize(for: portrait) == PixelSize(width: 224, height: 298))
    }

    @Test func grayIsReplicatedAndFramesProcessInPlace() throws {
        let gray = noise(width: 30, height: 20, format: .gray, seed: 3)
        let preprocessor = ImagePreprocessor(.siglip)
        let output = preprocessor(gray)
        let plane = 224 * 224
        #expect(Array(output[0..<plane]) == Array(output[plane..<(2 * plane)]))
        #expect(Array(output[0..<plane]) == Array(output[(2 * plane)...]))
        // A borrowed frame view goes through the same path, into a caller's buffer.
        let colour = noise(width: 64, height: 48, seed: 9)
        var buffer = [Float](repeating: .nan, count: 3 * plane)
        colour.pixels.withUnsafeBufferPointer { pixels in
            let view = FrameView(width: 64, height: 48, format: .bgr, pixels: pixels, timestamp: .now(), sequence: 0)
            buffer.withUnsafeMutableBufferPointer { preprocessor.process(view, into: $0) }
        }
        #expect(buffer == preprocessor(colour))
        #expect(buffer.allSatisfy { $0 >= -1 && $0 <= 1 })
    }
}
