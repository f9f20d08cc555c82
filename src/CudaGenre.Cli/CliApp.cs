using System.CommandLine;

namespace CudaGenre.Cli;

/// <summary>The <c>cudagenre</c> command tree.</summary>
internal static class CliApp
{
    public static RootCommand Create()
    {
        var root = new RootCommand("""
            CudaGenre: music-genre classification (the 10 GTZAN genres) from mel-spectrogram images or audio.

            The whole pipeline on built-in data (synthesize → train → export → evaluate with this engine) is
            `cudagenre-train demo` in tools/CudaGenre.Trainer. Models come from `cudagenre-train train`.
            """);
        root.Subcommands.Add(DataCommands.Create());
        root.Subcommands.Add(ModelCommands.Classify());
        root.Subcommands.Add(ModelCommands.Evaluate());
        root.Subcommands.Add(ModelCommands.Verify());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        return root;
    }
}
