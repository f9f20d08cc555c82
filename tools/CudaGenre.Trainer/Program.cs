using CudaGenre.Trainer.Cli;

return TrainerApp.Create().Parse(args).Invoke();
