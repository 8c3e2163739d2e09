namespace Skyport.Server.Datatypes;

/// <summary>A Galaxy datatype, named by its Galaxy extension (e.g. "fastqsanger.gz").</summary>
public sealed record Datatype(string Extension, string MimeType, bool IsBinary, string Description);
