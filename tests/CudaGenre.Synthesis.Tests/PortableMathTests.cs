using CudaGenre.Core;

namespace CudaGenre.Synthesis.Tests;

public class PortableMathTests
{
    [Fact]
    public void Sin_Cos_Exp_Log_AgreeWithTheRuntime()
    {
        var random = new SeededRandom(9);
        for (var i = 0; i < 2000; i++)
        {
            var x = random.Uniform(-1000, 1000);
            Assert.Equal(Math.Sin(x), PortableMath.Sin(x), 1e-12);
            Assert.Equal(Math.Cos(x), PortableMath.Cos(x), 1e-12);
            var e = random.Uniform(-700, 700);
            Assert.Equal(1, PortableMath.Exp(e) / Math.Exp(e), 1e-13);
            var l = Math.Exp(random.Uniform(-700, 700));
            Assert.Equal(Math.Log(l), PortableMath.Log(l), 1e-12);
        }
    }

    [Fact]
    public void MidiToHz_PutsA4At440_AndOctavesAtDoubling()
    {
        Assert.Equal(440, PortableMath.MidiToHz(69), 1e-9);
        Assert.Equal(880, PortableMath.MidiToHz(81), 1e-9);
        Assert.Equal(261.6255653, PortableMath.MidiToHz(60), 1e-6);
    }

    [Fact]
    public void SoftClip_IsOddMonotoneAndBounded()
    {
        var previous = -1f;
        for (var x = -5f; x <= 5f; x += 0.01f)
        {
            var y = PortableMath.SoftClip(x);
            Assert.InRange(y, -1f, 1f);
            Assert.True(y >= previous - 1e-6f, $"not monotone at {x}");
            Assert.Equal(-y, PortableMath.SoftClip(-x), 6);
            previous = y;
        }
        Assert.Equal(0.5f, PortableMath.SoftClip(0.5f), 1); // near-linear for small signals
    }
}
