namespace GenStore.Generations;

/// <summary>Marks switch progress in the intent log every N actions rather than after each one, trading a few redone (idempotent) actions after a crash for far fewer fsyncs.</summary>
public sealed class ProgressBatch
{
    private readonly StateDb _db;
    private readonly int _every;
    private int _written;
    private int _done;

    internal ProgressBatch(StateDb db, int every)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(every, 1);
        _db = db;
        _every = every;
        _written = db.OpenIntent?.Done ?? 0;
        _done = _written;
    }

    /// <summary>Notes that actions 0 … <paramref name="done"/>−1 are complete; writes when at least N actions are unwritten.</summary>
    public void Completed(int done)
    {
        _done = done;
        if (_done - _written >= _every)
        {
            Flush();
        }
    }

    /// <summary>Writes the latest count now (e.g. before a slow action or at the end of a phase); <paramref name="durable"/> as in <see cref="StateDb.MarkProgress"/>.</summary>
    public void Flush(bool durable = false)
    {
        if (_done != _written || durable)
        {
            _db.MarkProgress(_done, durable);
            _written = _done;
        }
    }
}
