using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Skyport.Server.Data;

/// <summary>
/// An EF Core compiled query for the queries every job runs (building a LINQ query each time cost more than running it).
/// EF Core binds a compiled query to the first model it runs against and refuses any other, and the model differs by
/// database provider (SQLite keeps timestamps as text, PostgreSQL as timestamps): a process normally has one, but the
/// tests run both side by side. So the query is compiled once per model.
/// </summary>
/// <param name="compile">Compiles the query (<see cref="EF.CompileAsyncQuery{TContext,TParam1,TResult}(System.Linq.Expressions.Expression{Func{TContext,TParam1,CancellationToken,TResult}})"/>).</param>
internal sealed class CompiledQuery<TQuery>(Func<TQuery> compile) where TQuery : class
{
    private readonly ConditionalWeakTable<IModel, TQuery> _byModel = [];

    public TQuery For(DbContext db) => _byModel.GetValue(db.Model, _ => compile());
}
