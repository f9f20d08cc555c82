namespace CudaGenre.Cuda;

/// <summary>
/// Turns the source text of a checked call (from <c>[CallerArgumentExpression]</c>) into the C function name,
/// so an exception names the function as in the header: "Cudnn.cudnnConvolutionForward(h, ...)" → "cudnnConvolutionForward".
/// </summary>
internal static class NativeCallText
{
    /// <summary>The identifier just before the first '(' of <paramref name="expression"/>, without any type qualifier.</summary>
    public static string FunctionName(string? expression)
    {
        if (string.IsNullOrWhiteSpace(expression))
            return "(unknown call)";
        var text = expression.AsSpan().Trim();
        var open = text.IndexOf('(');
        if (open >= 0)
            text = text[..open];
        var dot = text.LastIndexOf('.');
        if (dot >= 0)
            text = text[(dot + 1)..];
        text = text.Trim();
        return text.IsEmpty ? expression.Trim() : text.ToString();
    }
}
