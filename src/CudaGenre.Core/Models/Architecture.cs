namespace CudaGenre.Core.Models;

/// <summary>The network families CudaGenre trains and runs. Written in JSON as <c>cnn</c>, <c>resnet18</c>, <c>resnet50</c>, <c>xception</c>.</summary>
public enum Architecture
{
    /// <summary>The baseline: Conv3×3 → ReLU → MaxPool2×2 blocks, global average pool, classifier (names under <c>features</c>/<c>classifier</c>).</summary>
    Cnn,

    /// <summary>torchvision <c>resnet18</c>: BasicBlock 2-2-2-2, 512 features.</summary>
    ResNet18,

    /// <summary>torchvision <c>resnet50</c> (v1.5, stride on the 3×3 conv): Bottleneck 3-4-6-3, 2048 features.</summary>
    ResNet50,

    /// <summary>timm <c>legacy_xception</c> (Chollet's Xception as ported by Cadene): 2048 features, 299×299 input.</summary>
    Xception,
}

/// <summary>What sits on top of the backbone's pooled features.</summary>
public enum ClassifierHead
{
    /// <summary>One Linear(features, classes), the replaced last layer (module <c>fc</c>; <c>classifier</c> for the CNN).</summary>
    Linear,

    /// <summary>Linear(features, dense units) → ReLU → Dropout → Linear(dense units, classes), as a Sequential (<c>fc.0</c>, <c>fc.3</c>).</summary>
    Dense,
}

/// <summary>The JSON names of <see cref="Architecture"/> and <see cref="ClassifierHead"/> values.</summary>
public static class ArchitectureNames
{
    /// <summary>The name used in model files and on the command line: <c>cnn</c>, <c>resnet18</c>, <c>resnet50</c>, <c>xception</c>.</summary>
    public static string Name(this Architecture architecture) => architecture switch
    {
        Architecture.Cnn => "cnn",
        Architecture.ResNet18 => "resnet18",
        Architecture.ResNet50 => "resnet50",
        Architecture.Xception => "xception",
        _ => throw new ArgumentOutOfRangeException(nameof(architecture), architecture, "not an architecture"),
    };

    /// <summary>The name used in model files and on the command line: <c>linear</c>, <c>dense</c>.</summary>
    public static string Name(this ClassifierHead head) => head switch
    {
        ClassifierHead.Linear => "linear",
        ClassifierHead.Dense => "dense",
        _ => throw new ArgumentOutOfRangeException(nameof(head), head, "not a classifier head"),
    };

    /// <summary>Parses an architecture name (case-insensitive).</summary>
    public static bool TryParseArchitecture(string? name, out Architecture architecture)
    {
        foreach (var a in Enum.GetValues<Architecture>())
        {
            if (string.Equals(a.Name(), name, StringComparison.OrdinalIgnoreCase))
            {
                architecture = a;
                return true;
            }
        }
        architecture = default;
        return false;
    }

    /// <summary>Parses a head name (case-insensitive).</summary>
    public static bool TryParseHead(string? name, out ClassifierHead head)
    {
        foreach (var h in Enum.GetValues<ClassifierHead>())
        {
            if (string.Equals(h.Name(), name, StringComparison.OrdinalIgnoreCase))
            {
                head = h;
                return true;
            }
        }
        head = default;
        return false;
    }

    /// <summary>All architecture names, for help texts and error messages.</summary>
    public static string AllArchitectures => string.Join(", ", Enum.GetValues<Architecture>().Select(a => a.Name()));

    /// <summary>All head names, for help texts and error messages.</summary>
    public static string AllHeads => string.Join(", ", Enum.GetValues<ClassifierHead>().Select(h => h.Name()));
}
