using CudaGenre.Cli;

return CliApp.Create().Parse(args).Invoke();
