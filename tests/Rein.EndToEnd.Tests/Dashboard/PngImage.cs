using System.Buffers.Binary;
using System.IO.Compression;

namespace Rein.EndToEnd.Tests.Dashboard;

/// <summary>
/// Just enough of a PNG decoder (8-bit RGB or RGBA, not interlaced: what Chromium writes) to tell a rendered page
/// from a blank or broken screenshot: its size and how many distinct colours it has.
/// </summary>
internal sealed class PngImage
{
    private static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private PngImage(int width, int height, int distinctColors)
    {
        Width = width;
        Height = height;
        DistinctColors = distinctColors;
    }

    public int Width { get; }

    public int Height { get; }

    public int DistinctColors { get; }

    public static PngImage Decode(byte[] png)
    {
        if (png.Length < 33 || !png.AsSpan(0, 8).SequenceEqual(Signature))
        {
            throw new InvalidDataException("not a PNG file: the signature is missing");
        }

        int width = 0, height = 0, bytesPerPixel = 0;
        using var compressed = new MemoryStream();
        for (var offset = 8; offset + 8 <= png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            var type = System.Text.Encoding.ASCII.GetString(png, offset + 4, 4);
            var data = png.AsSpan(offset + 8, length);
            switch (type)
            {
                case "IHDR":
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    var (bitDepth, colorType, interlace) = (data[8], data[9], data[12]);
                    if (bitDepth != 8 || colorType is not (2 or 6) || interlace != 0)
                    {
                        throw new InvalidDataException($"unsupported PNG: bit depth {bitDepth}, colour type {colorType}, interlace {interlace}");
                    }

                    bytesPerPixel = colorType == 6 ? 4 : 3;
                    break;
                case "IDAT":
                    compressed.Write(data);
                    break;
            }

            offset += 12 + length;
        }

        compressed.Position = 0;
        using var inflater = new ZLibStream(compressed, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        inflater.CopyTo(raw);
        return new PngImage(width, height, CountColors(raw.ToArray(), width, height, bytesPerPixel));
    }

    /// <summary>Undoes the per-row filters (PNG specification, section 9) and counts distinct pixel values.</summary>
    private static int CountColors(byte[] raw, int width, int height, int bpp)
    {
        var stride = width * bpp;
        if (raw.Length < height * (stride + 1))
        {
            throw new InvalidDataException($"PNG data is truncated: {raw.Length} bytes for {width}x{height}");
        }

        var previous = new byte[stride];
        var current = new byte[stride];
        var colors = new HashSet<int>();
        for (var y = 0; y < height; y++)
        {
            var filter = raw[y * (stride + 1)];
            var row = raw.AsSpan((y * (stride + 1)) + 1, stride);
            for (var i = 0; i < stride; i++)
            {
                int left = i >= bpp ? current[i - bpp] : 0, up = previous[i], upLeft = i >= bpp ? previous[i - bpp] : 0;
                current[i] = (byte)(row[i] + filter switch
                {
                    0 => 0,
                    1 => left,
                    2 => up,
                    3 => (left + up) / 2,
                    4 => Paeth(left, up, upLeft),
                    _ => throw new InvalidDataException($"unknown PNG filter {filter} in row {y}"),
                });
            }

            for (var x = 0; x < stride; x += bpp)
            {
                colors.Add((current[x] << 16) | (current[x + 1] << 8) | current[x + 2]);
            }

            (previous, current) = (current, previous);
        }

        return colors.Count;
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
