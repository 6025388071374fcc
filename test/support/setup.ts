// Runs before every test file.
process.env.WARD_LOG_LEVEL ??= 'silent';
