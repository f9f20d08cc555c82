using System.CommandLine;

var root = new RootCommand("CudaGenre: music-genre classification from mel spectrograms.");
return root.Parse(args).Invoke();
