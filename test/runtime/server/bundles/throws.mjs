// A module whose own code throws while it is imported.
throw new Error("boom while importing");
