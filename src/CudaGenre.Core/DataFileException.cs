namespace CudaGenre.Core;

/// <summary>
/// A data file (image, audio, manifest, model) that cannot be used. The message always names the file
/// and says what is wrong with it, so it can be shown to a person as it is.
/// </summary>
public sealed class DataFileException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/> with a short description of the problem.</summary>
    public DataFileException(string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner)
    {
        FilePath = path;
        Problem = problem;
    }

    /// <summary>The file that could not be used.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it, without the file name.</summary>
    public string Problem { get; }
}
