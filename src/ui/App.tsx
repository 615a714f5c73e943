// The page: one flow, top to bottom.
export function App() {
  return (
    <main>
      <h1>kvtp-web</h1>
    </main>
  );
}
