using System.CommandLine;

namespace CudaGenre.Cli;

/// <summary>The <c>cudagenre</c> command tree.</summary>
internal static class CliApp
{
    public static RootCommand Create()
    {
        var root = new RootCommand("""
            CudaGenre: music-genre classification (the 10 GTZAN genres) from mel-spectrogram images or audio.

            Start with `cudagenre demo`, which needs no data: it synthesizes a small GTZAN-like data set,
            verifies it, splits it and summarizes it.
            """);
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(DataCommands.Create());
        root.Subcommands.Add(InfoCommand.Create());
        return root;
    }
}
